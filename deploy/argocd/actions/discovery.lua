-- Argo CD resource actions for topology.foundation.dev/ClusterTopology: which are offered now.
-- Install: argocd-cm key resource.customizations.actions.topology.foundation.dev_ClusterTopology
-- (../argocd-cm-patch.yaml holds this script and every action verbatim).
--
--   pause / resume  spec.paused (user intent: with self-heal, keep it in Git, or the sync reverts it)
--   abort           a switch Preparing, Routing (also at a gate) or Failed: roll it back, no restart
--   retry           the last switch RolledBack or Failed: the same target again
--   promote         a switch waiting at a gate ("pause" in spec.rollout.steps): go on
-- abort, retry and promote write the annotation topology.foundation.dev/control, never spec, so a
-- sync cannot undo them (docs/plugin.md).
local actions = {}
local paused = obj.spec ~= nil and obj.spec.paused == true
local rollout = nil
if obj.status ~= nil then
  rollout = obj.status.rollout
end
local stage = ""
if rollout ~= nil and rollout.stage ~= nil then
  stage = rollout.stage
end
local abortable = stage == "Preparing" or stage == "Routing" or stage == "Failed"
local retryable = stage == "RolledBack" or stage == "Failed"
local gated = abortable and rollout.gateStep ~= nil

actions["pause"] = {["disabled"] = paused, ["iconClass"] = "fa fa-fw fa-pause-circle"}
actions["resume"] = {["disabled"] = not paused, ["iconClass"] = "fa fa-fw fa-play-circle"}
actions["abort"] = {["disabled"] = not abortable, ["iconClass"] = "fa fa-fw fa-times-circle"}
actions["retry"] = {["disabled"] = not retryable, ["iconClass"] = "fa fa-fw fa-redo-alt"}
actions["promote"] = {["disabled"] = not gated, ["iconClass"] = "fa fa-fw fa-forward"}
return actions
