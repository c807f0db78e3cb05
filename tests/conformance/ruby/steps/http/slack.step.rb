# Slack's request signing (v0) over the timestamp and the exact form body bytes.
require "json"
require "openssl"

def config
  { type: "api", name: "conf-slack", method: "POST", path: "/slack", emits: [], flows: ["conformance"] }
end

def handler(req, _ctx)
  timestamp = req[:headers]["x-slack-request-timestamp"].to_s
  base = "v0:#{timestamp}:".b + req[:rawBody]
  expected = "v0=#{OpenSSL::HMAC.hexdigest('SHA256', 'conf-secret', base)}"
  unless OpenSSL.secure_compare(req[:headers]["x-slack-signature"].to_s, expected)
    return { status: 401, body: { error: "bad signature" } }
  end

  { status: 200, body: { ok: true, payload: JSON.parse(req.body[:payload]) } }
end
