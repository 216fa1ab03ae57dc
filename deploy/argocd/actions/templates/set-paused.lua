-- {{summary}}
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.paused = {{paused}}
return obj
