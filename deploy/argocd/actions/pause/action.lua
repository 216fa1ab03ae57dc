-- Sets spec.paused: rollouts and automatic switching freeze where they are.
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.paused = true
return obj
