# A GitHub-style webhook signature over the exact body bytes.
require "openssl"

CONFIG = { "type" => "api", "name" => "conf-github", "method" => "POST", "path" => "/github", "emits" => [],
           "flows" => ["conformance"] }.freeze
SECRET = "conf-secret"

def handler(req, _ctx)
  expected = "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', SECRET, req.raw_body)}"
  given = req.headers["x-hub-signature-256"]
  return { status: 401, body: { error: "bad signature" } } unless given.is_a?(String) && OpenSSL.secure_compare(given, expected)

  { status: 200, body: { ok: true, action: req.body[:action] } }
end
