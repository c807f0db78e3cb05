# A binary String body reaches the client byte for byte.
PNG = ["89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000b4944415478da636000020000050001e9fadcd80000000049454e44ae426082"].pack("H*").freeze

def config
  { type: "api", name: "conf-png", method: "GET", path: "/png", emits: [], flows: ["conformance"] }
end

def handler(_req, _ctx)
  { status: 200, body: PNG, headers: { "content-type" => "image/png" } }
end
