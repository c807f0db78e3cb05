#!/usr/bin/env node
// Emits an event into a stephost flow through the public gRPC ingress
// (proto/stephost/v1/ingress.proto), the way a Node service that is not a step would.
//
//   node emit.js --topic order.created --data '{"id":"1"}' [--address 127.0.0.1:7070]
//                [--token T] [--group G] [--key K] [--trace-id ID] [--repeat N]
//                [--ca-file server.pem]
//
// --repeat N sends N events on one EmitBatch stream (idempotency keys get "-<i>").
// The token defaults to $STEPHOST_INGRESS_TOKEN; --ca-file turns TLS on.
// Prints one receipt per event as JSON; on failure prints "CODE: message" and exits 1.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const grpc = require('@grpc/grpc-js')
const protoLoader = require('@grpc/proto-loader')

const PROTO_DIR = process.env.STEPHOST_PROTO_DIR || path.join(__dirname, '..', '..', '..', 'proto')

function parseArgs (argv) {
  const opts = { address: '127.0.0.1:7070', token: process.env.STEPHOST_INGRESS_TOKEN || '', repeat: 0, data: 'null' }
  const names = { '--address': 'address', '--token': 'token', '--topic': 'topic', '--data': 'data', '--group': 'group', '--key': 'key', '--trace-id': 'traceId', '--repeat': 'repeat', '--ca-file': 'caFile' }
  for (let i = 0; i < argv.length; i++) {
    const name = names[argv[i]]
    const value = argv[i + 1]
    if (!name || value === undefined || value.startsWith('--')) throw new Error(`bad argument ${argv[i]} (see the top of emit.js)`)
    opts[name] = name === 'repeat' ? Number(value) : value
    i++
  }
  if (!opts.topic) throw new Error('--topic is required')
  JSON.parse(opts.data) // fail here, not on the host, when --data is not JSON
  return opts
}

function client (opts) {
  const definition = protoLoader.loadSync(path.join(PROTO_DIR, 'stephost', 'v1', 'ingress.proto'), {
    includeDirs: [PROTO_DIR], keepCase: true, longs: Number, defaults: true
  })
  const { Ingress } = grpc.loadPackageDefinition(definition).stephost.v1
  const creds = opts.caFile
    ? grpc.credentials.createSsl(fs.readFileSync(opts.caFile))
    : grpc.credentials.createInsecure()
  return new Ingress(opts.address, creds)
}

function metadata (opts) {
  const md = new grpc.Metadata()
  if (opts.token) md.set('authorization', `Bearer ${opts.token}`)
  return md
}

function request (opts, i) {
  return {
    topic: opts.topic,
    data_json: opts.data,
    message_group_id: opts.group || '',
    idempotency_key: opts.key ? (i === undefined ? opts.key : `${opts.key}-${i}`) : '',
    trace_id: opts.traceId || ''
  }
}

const receipt = r => JSON.stringify({ traceId: r.trace_id, stream: r.stream, sequence: r.sequence, duplicate: r.duplicate })

function emitOne (ingress, opts) {
  return new Promise((resolve, reject) => {
    ingress.Emit(request(opts), metadata(opts), { deadline: Date.now() + 10000 }, (err, r) => err ? reject(err) : resolve([r]))
  })
}

function emitBatch (ingress, opts) {
  return new Promise((resolve, reject) => {
    const receipts = []
    const call = ingress.EmitBatch(metadata(opts))
    call.on('data', resp => receipts.push(...resp.receipts))
    call.on('error', reject)
    call.on('end', () => resolve(receipts))
    const events = Array.from({ length: opts.repeat }, (_, i) => request(opts, i))
    for (let i = 0; i < events.length; i += 500) call.write({ events: events.slice(i, i + 500) })
    call.end()
  })
}

async function main () {
  let opts
  try {
    opts = parseArgs(process.argv.slice(2))
  } catch (err) {
    console.error(`emit.js: ${err.message}`)
    process.exit(2)
  }
  const ingress = client(opts)
  try {
    const receipts = opts.repeat > 0 ? await emitBatch(ingress, opts) : await emitOne(ingress, opts)
    for (const r of receipts) console.log(receipt(r))
  } catch (err) {
    const code = Object.keys(grpc.status).find(k => grpc.status[k] === err.code) || 'UNKNOWN'
    console.error(`${code}: ${err.details || err.message}`)
    process.exitCode = 1
  } finally {
    ingress.close()
  }
}

main()
