-- Clears spec.paused: rollouts and automatic switching go on.
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.paused = false
return obj
