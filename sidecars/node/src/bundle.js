'use strict'
// Bundles (docs/agents.md): a project tree as a deterministic gzip'd tar, and
// its trip over the sidecar link as BundleChunks (at most 1 MiB each; the last
// one carries the sha256 of the whole archive, checked before unpacking).
//
// Deterministic: entries sorted by name, directories before their content,
// mtime 0, owner 0/0 with no names, modes 0755 (directories, executables) or
// 0644, so identical content gives an identical digest. Unpacking refuses a
// member that would land outside the destination, a link pointing out of it,
// and anything but files, directories and symlinks.
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const zlib = require('node:zlib')

const CHUNK_BYTES = 1 << 20
const BLOCK = 512
const SKIPPED = new Set(['.git', '.stephost'])

class BundleError extends Error {
  constructor(message) {
    super(message)
    this.name = 'BundleError'
  }
}

function digest(data) {
  return crypto.createHash('sha256').update(data).digest('hex')
}

/** The archive as BundleChunk objects; the last one says the digest. */
function chunks(data) {
  const out = []
  for (let start = 0; start < Math.max(data.length, 1); start += CHUNK_BYTES) {
    const end = Math.min(start + CHUNK_BYTES, data.length)
    const last = end >= data.length
    out.push({ data: data.subarray(start, end), last, digest: last ? digest(data) : '' })
  }
  return out
}

/** Collects one request's chunks; add() returns the checked archive at the last one. */
class Assembly {
  constructor() {
    this.parts = []
  }

  add(chunk) {
    this.parts.push(Buffer.from(chunk.data))
    if (!chunk.last) return null
    const data = Buffer.concat(this.parts)
    const found = digest(data)
    if (found !== chunk.digest) throw new BundleError(`the bundle's digest is ${found}, the sender said ${chunk.digest || '(none)'}`)
    return data
  }
}

// --- packing ----------------------------------------------------------------

function octal(value, width) {
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

function header(name, { type, size = 0, mode = 0o644, linkname = '' }) {
  const block = Buffer.alloc(BLOCK)
  block.write(name, 0, 100, 'utf8')
  block.write(octal(mode, 8), 100)
  block.write(octal(0, 8), 108)
  block.write(octal(0, 8), 116)
  block.write(octal(size, 12), 124)
  block.write(octal(0, 12), 136)
  block.write(type, 156)
  block.write(linkname, 157, 100, 'utf8')
  block.write('ustar\0' + '00', 257, 'binary')
  block.fill(' ', 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  block.write(octal(sum, 7) + ' ', 148)
  return block
}

function padded(data) {
  const rest = data.length % BLOCK
  return rest ? [data, Buffer.alloc(BLOCK - rest)] : [data]
}

/** A PAX record ("LEN key=value\n", LEN counting itself). */
function paxRecord(key, value) {
  const body = ` ${key}=${value}\n`
  const size = Buffer.byteLength(body)
  let len = size + String(size).length
  if (String(len).length > String(size).length) len += 1
  return `${len}${body}`
}

function entry(name, { type, data = Buffer.alloc(0), mode, linkname = '' }) {
  const parts = []
  const long = {}
  if (Buffer.byteLength(name) > 100) long.path = name
  if (Buffer.byteLength(linkname) > 100) long.linkpath = linkname
  if (Object.keys(long).length) {
    const pax = Buffer.from(Object.entries(long).map(([k, v]) => paxRecord(k, v)).join(''))
    parts.push(header('PaxHeader', { type: 'x', size: pax.length }), ...padded(pax))
  }
  parts.push(header(name.slice(0, 100), { type, size: data.length, mode, linkname: linkname.slice(0, 100) }))
  if (data.length) parts.push(...padded(data))
  return parts
}

function* walk(root, rel, skip) {
  const names = fs.readdirSync(path.join(root, rel)).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1))
  for (const name of names) {
    if (skip.has(name)) continue
    const child = rel ? `${rel}/${name}` : name
    const stat = fs.lstatSync(path.join(root, child))
    yield [child, stat]
    if (stat.isDirectory()) yield* walk(root, child, skip)
  }
}

/** The tree under `root` as a deterministic tar.gz (symlinks kept as links). */
function pack(root, skip = SKIPPED) {
  const parts = []
  for (const [rel, stat] of walk(root, '', skip)) {
    const mode = stat.isDirectory() || stat.mode & 0o100 ? 0o755 : 0o644
    if (stat.isDirectory()) parts.push(...entry(`${rel}/`, { type: '5', mode }))
    else if (stat.isSymbolicLink()) parts.push(...entry(rel, { type: '2', mode: 0o777, linkname: fs.readlinkSync(path.join(root, rel)) }))
    else if (stat.isFile()) parts.push(...entry(rel, { type: '0', mode, data: fs.readFileSync(path.join(root, rel)) }))
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  return zlib.gzipSync(Buffer.concat(parts), { level: 6 })
}

// --- unpacking --------------------------------------------------------------

function text(block, start, length) {
  const raw = block.subarray(start, start + length)
  const end = raw.indexOf(0)
  return raw.subarray(0, end === -1 ? length : end).toString('utf8')
}

function parsePax(data) {
  const out = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space === -1) break
    const len = Number(data.subarray(at, space).toString())
    if (!len) break
    const record = data.subarray(space + 1, at + len - 1).toString('utf8')
    const eq = record.indexOf('=')
    out[record.slice(0, eq)] = record.slice(eq + 1)
    at += len
  }
  return out
}

/** Where `name` lands under `dest`, or a BundleError when it would not stay inside. */
function inside(dest, name, what = 'member') {
  if (path.isAbsolute(name) || name.split('/').includes('..')) throw new BundleError(`unsafe ${what} in the bundle: ${name}`)
  const target = path.resolve(dest, name)
  if (target !== dest && !target.startsWith(dest + path.sep)) throw new BundleError(`unsafe ${what} in the bundle: ${name}`)
  return target
}

/** Unpack a tar.gz into `dest` (created). */
function unpack(data, dest) {
  dest = path.resolve(dest)
  let tar
  try {
    tar = zlib.gunzipSync(data)
  } catch (err) {
    throw new BundleError(`cannot unpack the bundle: ${err.message}`)
  }
  fs.mkdirSync(dest, { recursive: true })
  let at = 0
  let next = {} // PAX / GNU long-name overrides for the next member
  while (at + BLOCK <= tar.length) {
    const block = tar.subarray(at, at + BLOCK)
    at += BLOCK
    if (block.every((b) => b === 0)) break
    const size = parseInt(text(block, 124, 12).trim() || '0', 8)
    const body = tar.subarray(at, at + size)
    at += Math.ceil(size / BLOCK) * BLOCK
    const type = String.fromCharCode(block[156] || 0x30)
    if (type === 'x') next = { ...next, ...parsePax(body) }
    else if (type === 'L') next.path = text(body, 0, body.length)
    else if (type === 'g') continue
    else {
      const prefix = text(block, 257, 6) === 'ustar' ? text(block, 345, 155) : ''
      const name = (next.path || (prefix ? `${prefix}/` : '') + text(block, 0, 100)).replace(/\/+$/, '').replace(/^\.\//, '')
      const linkname = next.linkpath || text(block, 157, 100)
      next = {}
      if (!name || name === '.') continue
      const target = inside(dest, name)
      const mode = parseInt(text(block, 100, 8).trim() || '644', 8) & 0o100 ? 0o755 : 0o644
      if (type === '5') fs.mkdirSync(target, { recursive: true })
      else if (type === '0' || type === '\0' || type === '7') {
        fs.mkdirSync(path.dirname(target), { recursive: true })
        fs.writeFileSync(target, body, { mode })
        fs.chmodSync(target, mode)
      } else if (type === '2') {
        inside(dest, path.relative(dest, path.resolve(path.dirname(target), linkname)), 'link')
        if (path.isAbsolute(linkname)) throw new BundleError(`unsafe link in the bundle: ${name} -> ${linkname}`)
        fs.mkdirSync(path.dirname(target), { recursive: true })
        fs.symlinkSync(linkname, target)
      } else throw new BundleError(`the bundle holds ${name}, neither a file, a folder nor a symlink (type ${type})`)
    }
  }
}

module.exports = { BundleError, Assembly, chunks, digest, pack, unpack, SKIPPED, CHUNK_BYTES }
