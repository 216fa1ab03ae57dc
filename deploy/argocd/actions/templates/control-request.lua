-- Writes the control request action={{action}} for the switch of status.rollout.epoch into the annotation
-- topology.foundation.dev/control (src/api/control-request.ts), never spec. The time is its id, so
-- running the action again is a new request; the operator records the one it consumed in
-- status.lastControlRequest.
local os = require("os")
local value = "action={{action}}"
if obj.status ~= nil and obj.status.rollout ~= nil and obj.status.rollout.epoch ~= nil then
  value = value .. ",target-epoch=" .. string.format("%d", obj.status.rollout.epoch)
end
value = value .. ",id=" .. os.date("!%Y-%m-%dT%H:%M:%SZ")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["topology.foundation.dev/control"] = value
return obj
