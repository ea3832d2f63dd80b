// Reports user activity to the Rust idle timer, at most once per `intervalMs`, with one trailing
// report so the last burst of activity is never lost. The timer itself lives in Rust: if this
// page hangs, no reports arrive and the vault locks anyway.

export function activityReporter(send: () => void, intervalMs = 5000, now: () => number = Date.now) {
  let lastSent = -Infinity;
  let trailing: ReturnType<typeof setTimeout> | null = null;

  function report(): void {
    const elapsed = now() - lastSent;
    if (elapsed >= intervalMs) {
      lastSent = now();
      send();
    } else if (trailing === null) {
      trailing = setTimeout(() => {
        trailing = null;
        lastSent = now();
        send();
      }, intervalMs - elapsed);
    }
  }

  function stop(): void {
    if (trailing !== null) clearTimeout(trailing);
    trailing = null;
  }

  return { report, stop };
}

const EVENTS = ['pointerdown', 'keydown', 'wheel', 'input', 'pointermove'] as const;

/** Listens for activity on `target` and reports it; returns a function that stops listening. */
export function watchActivity(target: EventTarget, send: () => void, intervalMs = 5000): () => void {
  const reporter = activityReporter(send, intervalMs);
  for (const name of EVENTS) target.addEventListener(name, reporter.report, { passive: true, capture: true });
  return () => {
    reporter.stop();
    for (const name of EVENTS) target.removeEventListener(name, reporter.report, { capture: true });
  };
}
