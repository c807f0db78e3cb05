import { useEffect, useState } from 'preact/hooks'
import { api } from '../api.js'
import { usePoll, Empty, ErrorNote, Confirm } from '../util.jsx'

function Editor({ group, item, onGone }) {
  const [text, setText] = useState('')
  const [revision, setRevision] = useState(0)
  const [note, setNote] = useState(null)
  const load = async () => {
    const got = await api(`/state/${encodeURIComponent(group)}/${encodeURIComponent(item)}`)
    setText(JSON.stringify(got.value, null, 2))
    setRevision(got.revision)
  }
  useEffect(() => {
    setNote(null)
    load().catch((e) => setNote({ bad: true, text: e.message }))
  }, [group, item])
  const save = async () => {
    try {
      JSON.parse(text)
    } catch (e) {
      setNote({ bad: true, text: `not JSON: ${e.message}` })
      return
    }
    try {
      await api(`/state/${encodeURIComponent(group)}/${encodeURIComponent(item)}`, { method: 'PUT', raw: text })
      await load()
      setNote({ text: 'saved' })
    } catch (e) {
      setNote({ bad: true, text: e.message })
    }
  }
  const remove = async () => {
    await api(`/state/${encodeURIComponent(group)}/${encodeURIComponent(item)}`, { method: 'DELETE' })
    onGone()
  }
  return (
    <div class="editor">
      <div class="editor-head">
        <h3>
          {group} <span class="muted">/</span> {item}
        </h3>
        <span class="muted">revision {revision}</span>
      </div>
      <textarea class="code" rows="18" value={text} onInput={(e) => setText(e.target.value)} data-state-editor />
      <div class="actions">
        <button class="primary" onClick={save} data-save>
          Save
        </button>
        <Confirm
          key={`${group}/${item}`}
          label="Delete"
          question={`Delete ${group}/${item}?`}
          yes="Yes, delete"
          onYes={remove}
          data={{ 'data-delete': true }}
        />
        {note && <span class={note.bad ? 'bad' : 'good'} data-note>{note.text}</span>}
      </div>
    </div>
  )
}

export function State() {
  const [groups, error, reload] = usePoll('/state', 3000)
  const [group, setGroup] = useState('')
  const [item, setItem] = useState('')
  const names = Object.keys(groups || {})
  const g = group && names.includes(group) ? group : names[0]
  return (
    <section class="panel state">
      <header>
        <h2>State</h2>
      </header>
      <ErrorNote error={error} />
      <div class="split three">
        <aside class="list">
          <div class="group-title">groups</div>
          {names.map((n) => (
            <button class={`item ${n === g ? 'active' : ''}`} onClick={() => (setGroup(n), setItem(''))} data-group={n}>
              {n} <span class="muted">{groups[n].length}</span>
            </button>
          ))}
          {groups && !names.length && <Empty>No state yet.</Empty>}
        </aside>
        <aside class="list">
          <div class="group-title">keys</div>
          {g &&
            (groups[g] || []).map((k) => (
              <button class={`item ${k === item ? 'active' : ''}`} onClick={() => setItem(k)} data-key={k}>
                {k}
              </button>
            ))}
        </aside>
        <div class="main">
          {g && item ? (
            <Editor group={g} item={item} onGone={() => (setItem(''), reload())} />
          ) : (
            <Empty>Pick a key to see and edit its value.</Empty>
          )}
        </div>
      </div>
    </section>
  )
}
