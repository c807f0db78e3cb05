'use strict'
// The proto layer (stubs): the .proto is loaded at run time (no generated JS to keep
// in sync). `proto/generate.sh` copies it into this package so the sidecar is
// self-contained in its own container.
const path = require('node:path')
const grpc = require('@grpc/grpc-js')
const protoLoader = require('@grpc/proto-loader')

const PROTO_FILE = path.join(__dirname, '..', 'proto', 'stephost', 'v1', 'sidecar.proto')
const PROTOCOL_VERSION = 2

// camelCase fields (idiomatic JS); int64 as Number (unix ms fit easily);
// enums as their names; defaults filled so absent strings read as '';
// `oneofs` adds a `kind` field naming the member that is set.
const LOAD_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true }

let cached
function loadProto() {
  if (!cached) {
    const definition = protoLoader.loadSync(PROTO_FILE, LOAD_OPTIONS)
    cached = grpc.loadPackageDefinition(definition).stephost.v1
  }
  return cached
}

const CHANNEL_OPTIONS = {
  // Payloads are user data of any size; the default 4 MiB cap would turn a
  // big request body into a dead stream.
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // The channel's own reconnect backoff grows to 120 s by default, which would
  // override ours (100 ms doubling to 5 s) while the host is down.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 5000,
}

/** One client (one channel) for the life of the process; streams reuse it. */
function createClient(address) {
  const { SidecarHost } = loadProto()
  return new SidecarHost(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS)
}

module.exports = { loadProto, createClient, PROTOCOL_VERSION, PROTO_FILE }
