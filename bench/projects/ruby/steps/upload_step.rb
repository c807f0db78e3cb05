# How big the file uploaded to it (multipart/form-data) is: the `bodies` section posts big ones here.
def config
  { "name" => "upload-ruby", "type" => "api", "path" => "/upload", "method" => "POST", "emits" => [] }
end

def handler(req, _ctx)
  { status: 200, body: { size: req[:body][:upload][:content].bytesize } }
end
