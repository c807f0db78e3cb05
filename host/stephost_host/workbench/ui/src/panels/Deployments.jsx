import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { usePoll, Empty, ErrorNote, Confirm, clock, go } from '../util.jsx'

// Deployments (docs/deployments.md): the history, a running deploy's phases and log (polled
// faster while it runs), and its actions: cancel, promote, roll back. The admin secret the
// page holds has every deploy scope.

const FINAL = ['completed', 'failed', 'cancelled']

function where(d) {
  // How the version stands, beside how its pipeline ended.
  if (d.isActive) return 'active'
  return d.activation || ''
}

function Status({ d }) {
  return <span class={`dstatus ds-${d.status}`}>{d.status.replace('_', ' ')}</span>
}

function Progress({ value, status }) {
  return (
    <div class={`progress ${status}`} data-progress={value}>
      <div style={{ width: `${value}%` }} />
    </div>
  )
}

function seconds(d) {
  if (d.duration != null) return `${d.duration.toFixed(1)} s`
  return d.startedAt ? `${(Date.now() / 1000 - d.startedAt).toFixed(0)} s…` : ''
}

// What the panel offers for one deployment, each asked first (docs/deployments.md): cancel a
// running one, promote a staged (--no-promote) one, roll back to an earlier completed one.
function offers(d) {
  if (!FINAL.includes(d.status)) {
    if (d.cancelRequested) return []
    return [
      {
        name: 'cancel',
        label: 'Cancel',
        question: `Stop #${d.number} where it is? Nothing switches; the active version keeps serving.`,
        yes: 'Yes, cancel',
        done: () => `cancel asked: #${d.number} stops at its next step`,
      },
    ]
  }
  // A rollback or promote record re-activated another deployment: that one is the target.
  if (d.status !== 'completed' || d.isActive || d.dryRun || d.kind !== 'deploy') return []
  if (d.activation === 'staged') {
    return [
      {
        name: 'promote',
        label: `Promote #${d.number}`,
        question: `Make staged #${d.number} (${d.versionId || d.versionName}) the active version?`,
        yes: 'Yes, promote',
        done: (made) => `promoting: #${made.number} switches to it`,
      },
    ]
  }
  return [
    {
      name: 'rollback',
      label: `Roll back to #${d.number}`,
      question: `Make #${d.number} (${d.versionId || d.versionName}) the active version again?`,
      yes: 'Yes, roll back',
      done: (made) => `rollback #${made.number} started`,
    },
  ]
}

function Actions({ d, onStarted }) {
  const [note, setNote] = useState(null)
  const actions = offers(d)
  if (!actions.length && !note) return null
  const run = async (action) => {
    try {
      const made = await api(`/deployments/${d.id}/${action.name}`, { method: 'POST' })
      setNote({ text: action.done(made) })
      if (made.number !== d.number) onStarted(made.number) // promote and rollback make a record
    } catch (e) {
      setNote({ bad: true, text: `${action.name} refused: ${e.message}` })
    }
  }
  return (
    <div class="actions">
      {actions.map((action) => (
        <Confirm
          key={`${d.id}-${action.name}`}
          label={action.label}
          question={action.question}
          yes={action.yes}
          onYes={() => run(action)}
          data={{ [`data-${action.name}`]: true }}
        />
      ))}
      {note && (
        <span class={note.bad ? 'bad' : 'good'} data-note>
          {note.text}
        </span>
      )}
    </div>
  )
}

function Detail({ number, onStarted }) {
  const [d, error] = usePoll(`/deployments/${number}`, 1000)
  const running = d && !FINAL.includes(d.status)
  const [log] = usePoll(d ? `/deployments/${number}/logs` : null, running ? 1000 : 0)
  if (!d) return <ErrorNote error={error} />
  return (
    <div data-deployment={d.number}>
      <div class="editor-head">
        <h3>
          #{d.number} <span class="code">{d.versionId}</span> {d.kind !== 'deploy' && <span class="where">{d.kind}</span>}
        </h3>
        <Status d={d} />
      </div>
      <Progress value={d.progress} status={d.status} />
      <dl>
        {d.message && d.message !== d.description && (
          <>
            <dt>message</dt>
            <dd>{d.message}</dd>
          </>
        )}
        {d.description && (
          <>
            <dt>description</dt>
            <dd>{d.description}</dd>
          </>
        )}
        {d.commitMessage && (
          <>
            <dt>commit</dt>
            <dd>{d.commitMessage}</dd>
          </>
        )}
        <dt>version</dt>
        <dd>
          {d.versionName || d.versionId} {where(d) && <span class={`where w-${where(d)}`}>{where(d).replace('_', ' ')}</span>}
        </dd>
        <dt>languages</dt>
        <dd>{(d.languages || []).join(', ') || '–'}</dd>
        <dt>created</dt>
        <dd>{clock(d.createdAt)}</dd>
        <dt>took</dt>
        <dd>{seconds(d) || '–'}</dd>
        {d.error && (
          <>
            <dt>error</dt>
            <dd class="bad">
              {d.errorPhase && `${d.errorPhase}: `}
              {d.error}
              {d.errorFile && <span class="code"> ({d.errorFile})</span>}
            </dd>
          </>
        )}
      </dl>
      <Actions key={d.id} d={d} onStarted={onStarted} />
      <h4>phases</h4>
      <ol class="phases">
        {d.phases.map((p) => (
          <li class={`phase ph-${p.status}`} data-phase={p.name} data-phase-status={p.status}>
            <span class="ph-dot" />
            <span class="ph-name">{p.name.replace('_', ' ')}</span>
            <span class="muted">{p.status.replace('_', ' ')}</span>
            <span class="muted ph-time">
              {p.startedAt && p.completedAt ? `${(p.completedAt - p.startedAt).toFixed(2)} s` : ''}
            </span>
          </li>
        ))}
      </ol>
      <h4>log {running && <span class="live-dot live">live</span>}</h4>
      <pre class="json deploy-log" data-deploy-log>
        {typeof log === 'string' && log ? log : 'no log lines yet'}
      </pre>
    </div>
  )
}

export function Deployments({ arg }) {
  const [list, error] = usePoll('/deployments', 2000)
  const rows = (list && list.deployments) || []
  const chosen = Number(arg) || (rows[0] && rows[0].number)
  return (
    <section class="panel deployments">
      <header>
        <h2>Deployments</h2>
        {list && <span class="muted">{list.total} in this project</span>}
      </header>
      <ErrorNote error={error} />
      <div class="split left">
        <aside class="list">
          {rows.map((d) => (
            <button
              class={`item ${d.number === chosen ? 'active' : ''}`}
              onClick={() => go('deployments', String(d.number))}
              data-deploy-row={d.number}
            >
              <div class="trace-top">
                <span>
                  #{d.number} <span class="code muted">{d.versionId || '…'}</span>
                </span>
                <Status d={d} />
              </div>
              <Progress value={d.progress} status={d.status} />
              <div class="trace-bottom muted">
                {d.description || d.commitMessage || d.versionName || d.kind}
                {where(d) && <span class={`where w-${where(d)}`}>{where(d).replace('_', ' ')}</span>}
                <span style={{ marginLeft: 'auto' }}>{clock(d.createdAt)}</span>
              </div>
            </button>
          ))}
          {list && !rows.length && (
            <Empty>
              No deployments yet. <code>stephost deploy</code> ships a version to this host's agents.
            </Empty>
          )}
        </aside>
        <div class="main">
          {chosen ? <Detail number={chosen} onStarted={(n) => go('deployments', String(n))} /> : <Empty>Pick a deployment.</Empty>}
        </div>
      </div>
    </section>
  )
}
