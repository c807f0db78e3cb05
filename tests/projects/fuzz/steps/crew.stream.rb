# Only groups named "crew-..." may be watched: joins exercise the Ruby sidecar's access hook.
def config
  { name: "crew", schema: { "type" => "object" }, baseConfig: { storageType: "default" } }
end

def can_access(subscription, _auth_context)
  subscription["groupId"].start_with?("crew-")
end
