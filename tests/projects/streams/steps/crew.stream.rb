# A stream defined in Ruby, with an access check: only a crew's own members may watch it.
def config
  { name: "crew", schema: { "type" => "object" }, baseConfig: { storageType: "default" } }
end

def can_access(subscription, auth_context)
  !auth_context.nil? && subscription["groupId"] == "crew-#{auth_context['user']}"
end
