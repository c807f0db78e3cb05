# What the handler sees of a request body of each content type.
require "digest"

def config
  { type: "api", name: "conf-body", method: "POST", path: "/body", emits: [], flows: ["conformance"] }
end

def handler(req, _ctx)
  raw = req[:rawBody]
  { status: 200, body: { kind: kind(req.body), body: render(req.body), rawSha256: Digest::SHA256.hexdigest(raw),
                         rawLength: raw.bytesize } }
end

def kind(body)
  case body
  when nil then "null"
  when String then body.encoding == Encoding::BINARY ? "bytes" : "string"
  else "object"
  end
end

# Bytes as {bytes: hex}; a multipart file as its description and a digest of its content.
def render(value)
  case value
  when String then value.encoding == Encoding::BINARY ? { bytes: value.unpack1("H*") } : value
  when Array then value.map { |v| render(v) }
  when Hash
    if value[:content].is_a?(String)
      { filename: value[:filename], contentType: value[:contentType], size: value[:size],
        sha256: Digest::SHA256.hexdigest(value[:content]) }
    else
      value.transform_values { |v| render(v) }
    end
  else value
  end
end
