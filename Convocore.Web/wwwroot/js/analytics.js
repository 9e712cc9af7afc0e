// Phase 2 (issue 6) fills this in.
export function showAnalytics(view) {
  if (view.childElementCount) return;
  const heading = document.createElement('h1');
  heading.id = 'analytics-heading';
  heading.textContent = 'Analytics';
  const note = document.createElement('p');
  note.className = 'empty';
  note.textContent = 'Call analytics are not available yet.';
  view.append(heading, note);
}

export function hideAnalytics() {}
