/**
 * The few fengari (Lua 5.3 VM in JavaScript) entry points the Argo CD health and action tests use
 * (lua-vm.ts); fengari ships no type declarations.
 */
declare module 'fengari' {
  /** An opaque Lua state. */
  export type LuaState = { readonly __luaState: unique symbol };
  export const lua: {
    LUA_OK: number;
    LUA_TNIL: number;
    LUA_TBOOLEAN: number;
    LUA_TNUMBER: number;
    LUA_TSTRING: number;
    LUA_TTABLE: number;
    lua_absindex(L: LuaState, index: number): number;
    lua_next(L: LuaState, index: number): number;
    lua_toboolean(L: LuaState, index: number): boolean;
    lua_tonumber(L: LuaState, index: number): number;
    lua_rawlen(L: LuaState, index: number): number;
    lua_newtable(L: LuaState): void;
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: Uint8Array): void;
    lua_setfield(L: LuaState, index: number, key: Uint8Array): void;
    lua_rawseti(L: LuaState, index: number, i: number): void;
    lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_getfield(L: LuaState, index: number, key: Uint8Array): number;
    lua_type(L: LuaState, index: number): number;
    lua_pcall(L: LuaState, nargs: number, nresults: number, errfunc: number): number;
    lua_tojsstring(L: LuaState, index: number): string;
    lua_pop(L: LuaState, n: number): void;
  };
  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadstring(L: LuaState, s: Uint8Array): number;
  };
  export const lualib: { luaL_openlibs(L: LuaState): void };
  export function to_luastring(s: string): Uint8Array;
}
