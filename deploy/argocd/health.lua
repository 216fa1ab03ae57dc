-- Argo CD health check for topology.foundation.dev/ClusterTopology.
-- Install: the argocd-cm key resource.customizations.health.topology.foundation.dev_ClusterTopology
-- (argocd-cm-patch.yaml in this directory holds this script verbatim).
--
--   Suspended   spec.paused: rollouts and automatic switching are frozen on purpose; or a switch
--               waits at a gate ("pause" in spec.rollout.steps) for a promote request
--   Progressing no status yet, the operator has not observed the latest generation, or a switch
--               is in flight (phase Pending, Progressing, Verifying, RollingBack)
--   Degraded    condition Stalled=True, phase Degraded or Failed, or a switch stopped (stage Failed)
--   Healthy     phase Ready: the overlay the spec asks for runs on every ready member, or no pod
--               matches spec.selector (Ready reason NoMembers: nothing to configure yet)
hs = {}

local function condition(t)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == t then
      return c
    end
  end
  return nil
end

local function members()
  local m = obj.status.members
  if m == nil then
    return "no members"
  end
  return tostring(m.ready or 0) .. "/" .. tostring(m.total or 0) .. " members ready"
end

if obj.spec ~= nil and obj.spec.paused == true then
  hs.status = "Suspended"
  hs.message = "Paused (spec.paused): rollouts and automatic switching are frozen"
  return hs
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile"
  return hs
end

local generation = obj.metadata.generation or 0
local observed = obj.status.observedGeneration or 0
if observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = (stalled.reason or "Stalled") .. ": " .. (stalled.message or "")
  return hs
end

local phase = obj.status.phase or "Pending"
local rollout = obj.status.rollout
if phase == "Degraded" or phase == "Failed" or (rollout ~= nil and rollout.stage == "Failed") then
  local ready = condition("Ready")
  hs.status = "Degraded"
  if rollout ~= nil and rollout.stage == "Failed" and rollout.message ~= nil then
    hs.message = "Switch to " .. tostring(rollout.to) .. " failed: " .. rollout.message
  elseif ready ~= nil and ready.message ~= nil then
    hs.message = ready.message
  else
    hs.message = "Phase " .. phase
  end
  return hs
end

if phase == "Ready" then
  local ready = condition("Ready")
  hs.status = "Healthy"
  if ready ~= nil and ready.reason == "NoMembers" and ready.message ~= nil then
    hs.message = ready.message
  else
    hs.message = tostring(obj.status.currentTopology or "overlay") .. " on " .. members()
  end
  return hs
end

if phase == "Paused" then
  hs.status = "Suspended"
  if rollout ~= nil and rollout.gateStep ~= nil then
    -- A gate ("pause" in spec.rollout.steps): the switch waits for a promote request.
    hs.message = "AwaitingPromotion: " .. tostring(rollout.message or "waiting at a gate for a promote request")
  else
    hs.message = "Paused"
  end
  return hs
end

hs.status = "Progressing"
if rollout ~= nil and rollout.message ~= nil and rollout.stage ~= "Succeeded" then
  hs.message = tostring(rollout.from or "-") .. " -> " .. tostring(rollout.to) .. ": " .. rollout.message
else
  hs.message = "Phase " .. phase .. ", " .. members()
end
return hs
