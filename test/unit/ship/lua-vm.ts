/**
 * Runs Argo CD Lua customizations (health checks, resource actions) in fengari, a Lua 5.3 VM in
 * JavaScript, the way Argo CD hands resources to them: JSON objects as tables, arrays 1-based,
 * whole numbers as integers; and reads the table a script returns back as JSON.
 */
import { lauxlib, lua, lualib, to_luastring, type LuaState } from 'fengari';

/** Pushes a JSON value onto the Lua stack. */
export function push(L: LuaState, v: unknown): void {
  if (v === null || v === undefined) lua.lua_pushnil(L);
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  else if (typeof v === 'number') (Number.isInteger(v) ? lua.lua_pushinteger : lua.lua_pushnumber)(L, v);
  else if (typeof v === 'string') lua.lua_pushstring(L, to_luastring(v));
  else if (Array.isArray(v)) {
    lua.lua_newtable(L);
    v.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    lua.lua_newtable(L);
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      if (item === null || item === undefined) continue;
      push(L, item);
      lua.lua_setfield(L, -2, to_luastring(k));
    }
  }
}

/** Reads the value at `index` as JSON: a table with keys 1..n is an array, any other an object. */
export function pull(L: LuaState, index: number): unknown {
  const at = lua.lua_absindex(L, index);
  switch (lua.lua_type(L, at)) {
    case lua.LUA_TNIL:
      return null;
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, at);
    case lua.LUA_TNUMBER:
      return lua.lua_tonumber(L, at);
    case lua.LUA_TSTRING:
      return lua.lua_tojsstring(L, at);
    case lua.LUA_TTABLE: {
      const entries: [string | number, unknown][] = [];
      lua.lua_pushnil(L);
      while (lua.lua_next(L, at) !== 0) {
        const key = lua.lua_type(L, -2) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : lua.lua_tojsstring(L, -2);
        entries.push([key, pull(L, -1)]);
        lua.lua_pop(L, 1);
      }
      const n = lua.lua_rawlen(L, at);
      if (n > 0 && n === entries.length) return Array.from({ length: n }, (_, i) => entries.find(([k]) => k === i + 1)![1]);
      return Object.fromEntries(entries.map(([k, v]) => [String(k), v]));
    }
    default:
      throw new Error(`cannot read a Lua ${lua.lua_type(L, at)} as JSON`);
  }
}

/**
 * Runs `script` with the global `obj` set to `input`, as Argo CD does, and returns what it returns.
 * `prelude` runs first (the tests fix the clock with it).
 */
export function runLua(script: string, input: unknown, prelude = ''): unknown {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  if (prelude !== '') {
    if (lauxlib.luaL_loadstring(L, to_luastring(prelude)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK)
      throw new Error(`lua prelude: ${lua.lua_tojsstring(L, -1)}`);
  }
  push(L, input);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK) throw new Error(`lua syntax: ${lua.lua_tojsstring(L, -1)}`);
  if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) throw new Error(`lua error: ${lua.lua_tojsstring(L, -1)}`);
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) throw new Error('the script did not return a table');
  return pull(L, -1);
}
