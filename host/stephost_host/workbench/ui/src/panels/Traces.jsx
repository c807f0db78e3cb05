import { memo } from 'preact/compat'
import { usePoll, Lang, ms, clock, Empty, ErrorNote, go } from '../util.jsx'
import { Windowed } from '../windowed.jsx'

const LIST_MS = 3000 // the trace list's poll
const TRACE_SLOWEST = 30_000 // an open trace that stopped changing is asked for ever less often
const ROW = 58 // px: a trace's line in the list (the list draws only those in view)

// One trace of the list; drawn again only when its summary or its being picked changes.
const TraceItem = memo(
  function TraceItem({ t, active }) {
    return (
      <button class={`item trace-item ${active ? 'active' : ''}`} onClick={() => go('traces', t.trace)} data-trace={t.trace}>
        <div class="trace-top">
          <span class="trace-root">{t.root}</span>
          <span class={t.errors ? 'bad' : 'muted'}>{t.errors ? `${t.errors} failed` : ms(t.ms)}</span>
        </div>
        <div class="trace-bottom muted">
          {clock(t.start)} · {t.cause || 'event'} · {t.spans} span{t.spans === 1 ? '' : 's'}
          <span class="langs">
            {t.languages.map((l) => (
              <Lang language={l} />
            ))}
          </span>
        </div>
      </button>
    )
  },
  (a, b) => a.active === b.active && a.t.trace === b.t.trace && a.t.spans === b.t.spans && a.t.ms === b.t.ms && a.t.errors === b.t.errors,
)


function Timeline({ trace }) {
  const t0 = trace.start
  const total = Math.max(trace.ms, 1)
  const byParent = {}
  for (const s of trace.items) (byParent[s.parent] ||= []).push(s)
  return (
    <div class="timeline">
      <div class="scale">
        <span>0</span>
        <span>{ms(total / 2)}</span>
        <span>{ms(total)}</span>
      </div>
      {trace.items.map((s) => {
        const left = (((s.start - t0) * 1000) / total) * 100
        const width = Math.max((s.ms / total) * 100, 0.6)
        const children = byParent[s.span] || []
        return (
          <div class="span-row" data-span={s.step}>
            <div class="span-label">
              <Lang language={s.language} />
              <span class="span-step">{s.step}</span>
              {s.attempt > 1 && <span class="attempt">attempt {s.attempt}</span>}
            </div>
            <div class="span-track">
              <div class={`bar ${s.outcome}`} style={{ left: `${left}%`, width: `${width}%` }} data-bar>
                <span>{ms(s.ms)}</span>
              </div>
            </div>
            <div class="span-info">
              <span class="muted">
                {s.cause}
                {s.topic ? ` · ${s.topic}` : ''}
              </span>
              {s.emits.map((topic) => {
                const got = children.filter((c) => c.topic === topic).map((c) => c.step)
                return (
                  <span class="emit">
                    ⟶ {topic}
                    {got.length ? ` → ${[...new Set(got)].join(', ')}` : ''}
                  </span>
                )
              })}
              {s.error && (
                <details class="span-error" open={s.outcome !== 'ok'}>
                  <summary>
                    {s.error.type}: {s.error.message}
                  </summary>
                  {s.error.stack && <pre class="stack">{s.error.stack}</pre>}
                </details>
              )}
            </div>
          </div>
        )
      })}
      {trace.logs.length > 0 && (
        <>
          <h4>Logs</h4>
          <div class="log-table compact">
            {trace.logs.map((r) => (
              <div class={`log-row row-${r.level}`}>
                <span class="time">{clock(r.ts)}</span>
                <span class={`level lvl-${r.level}`}>{r.level}</span>
                <span class="step">{r.step}</span>
                <span class="msg">
                  {r.msg}
                  {r.fields && <span class="fields"> {JSON.stringify(r.fields)}</span>}
                </span>
              </div>
            ))}
          </div>
        </>
      )}
    </div>
  )
}

export function Traces({ arg }) {
  const [list, error] = usePoll('/traces?limit=100', LIST_MS)
  const [trace, traceError] = usePoll(arg ? `/traces/${encodeURIComponent(arg)}` : '', LIST_MS, TRACE_SLOWEST)
  return (
    <section class="panel traces">
      <header>
        <h2>Traces</h2>
      </header>
      <ErrorNote error={error} />
      <div class="split left">
        <Windowed
          class="list"
          items={list || []}
          rowHeight={ROW}
          keyOf={(t) => t.trace}
          row={(t) => <TraceItem t={t} active={t.trace === arg} />}
        >
          {list && !list.length && <Empty>No traces yet: call an endpoint.</Empty>}
        </Windowed>
        <div class="main">
          <ErrorNote error={traceError} />
          {!arg && <Empty>Pick a trace to see one bar per step invocation.</Empty>}
          {trace && (
            <>
              <div class="trace-head">
                <h3>{trace.root}</h3>
                <code class="muted">{trace.trace}</code>
                <span class="muted">
                  {ms(trace.ms)} · {trace.spans} spans · {trace.errors} failed
                </span>
              </div>
              <Timeline trace={trace} />
            </>
          )}
        </div>
      </div>
    </section>
  )
}
