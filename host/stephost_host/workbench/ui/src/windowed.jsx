// A long list of rows of one height, of which only those in view (and a few either side) are
// in the page: a trace list of a busy host changes wholly every poll, and drawing a hundred
// rows to show fifteen is most of what an open page costs.
import { useLayoutEffect, useRef, useState } from 'preact/hooks'

const AROUND = 6 // rows drawn beyond each edge, so a scroll shows no blank before it redraws

export function Windowed({ items, rowHeight, keyOf, row, children, ...rest }) {
  const box = useRef(null)
  const [view, setView] = useState({ top: 0, height: 800 })
  useLayoutEffect(() => {
    const el = box.current
    let frame = 0
    const measure = () => {
      frame = 0
      setView({ top: el.scrollTop, height: el.clientHeight })
    }
    const soon = () => frame || (frame = requestAnimationFrame(measure)) // one redraw a frame
    measure()
    el.addEventListener('scroll', soon, { passive: true })
    window.addEventListener('resize', soon)
    return () => {
      cancelAnimationFrame(frame)
      el.removeEventListener('scroll', soon)
      window.removeEventListener('resize', soon)
    }
  }, [])
  const first = Math.max(0, Math.floor(view.top / rowHeight) - AROUND)
  const last = Math.min(items.length, Math.ceil((view.top + view.height) / rowHeight) + AROUND)
  return (
    <div ref={box} {...rest}>
      <div style={{ height: `${first * rowHeight}px` }} />
      {items.slice(first, last).map((item) => (
        <div key={keyOf(item)} style={{ height: `${rowHeight}px` }} class="windowed-row">
          {row(item)}
        </div>
      ))}
      <div style={{ height: `${(items.length - last) * rowHeight}px` }} />
      {children}
    </div>
  )
}

