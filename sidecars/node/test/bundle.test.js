'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const zlib = require('node:zlib')
const bundle = require('../src/bundle')

function tempDir() {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'stephost-bundle-test-')))
}

/** A one-member tar.gz: `name` as a file, or a symlink to `link`. */
function archive(name, link = '') {
  const header = Buffer.alloc(512)
  header.write(name, 0)
  header.write('0000644\0', 100)
  header.write('00000000000\0', 124)
  header.write(link ? '2' : '0', 156)
  header.write(link, 157)
  header.write('ustar\u000000', 257, 'binary')
  header.fill(' ', 148, 156)
  const sum = header.reduce((a, b) => a + b, 0)
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
  return zlib.gzipSync(Buffer.concat([header, Buffer.alloc(1024)]))
}

test('identical content packs to identical bytes, whatever the mtimes and umask', () => {
  const one = tempDir()
  const two = tempDir()
  for (const dir of [one, two]) {
    fs.mkdirSync(path.join(dir, 'steps'))
    fs.writeFileSync(path.join(dir, 'steps', 'a.step.ts'), 'export const x = 1\n')
    fs.mkdirSync(path.join(dir, '.git'))
  }
  fs.utimesSync(path.join(two, 'steps', 'a.step.ts'), 1, 1)
  fs.chmodSync(path.join(two, 'steps', 'a.step.ts'), 0o600)
  assert.equal(bundle.digest(bundle.pack(one)), bundle.digest(bundle.pack(two)))
  const out = tempDir()
  bundle.unpack(bundle.pack(one), out)
  assert.deepEqual(fs.readdirSync(out).sort(), ['steps']) // .git is never packed
  assert.equal(fs.statSync(path.join(out, 'steps', 'a.step.ts')).mode & 0o777, 0o644)
})

test('chunks reassemble; a wrong digest is refused', () => {
  const data = Buffer.alloc(bundle.CHUNK_BYTES + 5, 7)
  const chunks = bundle.chunks(data)
  assert.deepEqual(chunks.map((c) => [c.data.length, c.last]), [[bundle.CHUNK_BYTES, false], [5, true]])
  const assembly = new bundle.Assembly()
  assert.equal(assembly.add(chunks[0]), null)
  assert.deepEqual(assembly.add(chunks[1]), data)
  const bad = new bundle.Assembly()
  bad.add(chunks[0])
  assert.throws(() => bad.add({ ...chunks[1], data: Buffer.from('xxxxx') }), /the bundle's digest is [0-9a-f]+, the sender said/)
})

test('a member or link escaping the destination is refused', () => {
  for (const [name, link] of [['../escape.txt', ''], ['/etc/escape', ''], ['out', '../../etc']]) {
    const dest = tempDir()
    assert.throws(() => bundle.unpack(archive(name, link), path.join(dest, 'in')), bundle.BundleError, name)
    assert.deepEqual(fs.readdirSync(dest).filter((n) => n !== 'in'), [])
  }
})
