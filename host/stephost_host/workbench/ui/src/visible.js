// Whether the page is on screen (the Page Visibility API). A hidden tab asks the host for
// nothing and draws nothing: its polls pause and its live tail closes, and both catch up at
// once when the tab is shown again.
import { useEffect, useState } from 'preact/hooks'

const shown = () => document.visibilityState !== 'hidden'

export function useVisible() {
  const [visible, setVisible] = useState(shown())
  useEffect(() => {
    const on = () => setVisible(shown())
    document.addEventListener('visibilitychange', on)
    return () => document.removeEventListener('visibilitychange', on)
  }, [])
  return visible
}
