/**
 * The Argo CD health check (deploy/argocd/health.lua) run in fengari, a Lua VM in JavaScript,
 * against the fixtures of deploy/argocd/health_test.yaml (Argo CD's own test layout): Healthy,
 * Progressing, Degraded, Suspended. Resources are handed to Lua as Argo CD does: JSON objects as
 * tables, arrays 1-based, whole numbers as integers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { lauxlib, lua, lualib, to_luastring, type LuaState } from 'fengari';
import { parse } from 'yaml';
import { packageRoot } from '../../../src/paths.js';

const DIR = join(packageRoot(), 'deploy', 'argocd');

function push(L: LuaState, v: unknown): void {
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

/** Runs the script with `obj` set, as Argo CD does; returns hs.status and hs.message. */
function health(script: string, obj: unknown): { status: string; message: string } {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  push(L, obj);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK) throw new Error(`lua syntax: ${lua.lua_tojsstring(L, -1)}`);
  if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) throw new Error(`lua error: ${lua.lua_tojsstring(L, -1)}`);
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) throw new Error('the script did not return a table');
  lua.lua_getfield(L, -1, to_luastring('status'));
  const status = lua.lua_tojsstring(L, -1);
  lua.lua_pop(L, 1);
  lua.lua_getfield(L, -1, to_luastring('message'));
  const message = lua.lua_tojsstring(L, -1);
  return { status, message };
}

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

describe('Argo CD health check for ClusterTopology', () => {
  const script = readFileSync(join(DIR, 'health.lua'), 'utf8');
  const tests = (parse(readFileSync(join(DIR, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;

  it('has fixtures for Healthy, Progressing, Degraded and Suspended', () => {
    expect(new Set(tests.map((t) => t.healthStatus.status))).to.deep.equal(new Set(['Healthy', 'Progressing', 'Degraded', 'Suspended']));
  });

  for (const t of tests) {
    it(`${t.inputPath} → ${t.healthStatus.status}`, () => {
      const obj = parse(readFileSync(join(DIR, t.inputPath), 'utf8')) as unknown;
      expect(health(script, obj)).to.deep.equal(t.healthStatus);
    });
  }

  it('argocd-cm-patch.yaml carries the script verbatim', () => {
    const cm = parse(readFileSync(join(DIR, 'argocd-cm-patch.yaml'), 'utf8')) as { data: Record<string, string> };
    expect(cm.data['resource.customizations.health.topology.foundation.dev_ClusterTopology']).to.equal(script);
  });
});
