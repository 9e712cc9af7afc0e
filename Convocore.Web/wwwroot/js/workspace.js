// What the page knows of the workspace, and how it is re-read. Each live change names what it touched
// (WorkspaceChange: kind, trunk, number); only that is read again, then every view renders from this state.
import { plural } from './dom.js';
import { get, listNumbers, ApiError } from './api.js';
import { numberVolumes } from './analytics.js';

export const state = {
  workspace: null,
  trunks: [],
  agents: [],
  numbers: new Map(), // trunkId → numbers, for expanded cards
  expanded: new Set(),
  volumes: null, // phoneNumber → calls in the last 30 days; null while analytics are unavailable
};
let analyticsAvailable = true;

const renderers = [];

/** Adds a view's render function, called after every read with the state as it is now. */
export function onRender(render) {
  renderers.push(render);
}

export function render() {
  if (!state.workspace) return;
  for (const r of renderers) r(state);
}

export const Everything = Object.freeze(['workspace', 'trunks', 'agents', 'numbers', 'volumes']);

/** What a live change makes stale: counts move with numbers, but the other trunks' lists and the call figures do not; ended calls make nothing here stale. */
export function staleAfter(change) {
  switch (change?.kind) {
    case 'Numbers': return ['workspace', 'trunks', 'agents', change.trunkId ? `numbers:${change.trunkId}` : 'numbers'];
    case 'Agents': return ['agents'];
    case 'Trunks': return ['trunks', 'workspace'];
    case 'Plan': return ['workspace'];
    case 'TestCall': return [];
    case 'Calls': return []; // the analytics page's alone (analytics.js callsEnded)
    default: return Everything;
  }
}

let reading = null;
const pending = new Set();

/** Re-reads the named parts (see Everything; 'numbers:<trunkId>' for one trunk's list). Calls while one runs coalesce into one more run. */
export function reload(parts = Everything) {
  for (const part of parts) pending.add(part);
  if (reading) return reading;
  reading = (async () => {
    try {
      while (pending.size > 0) {
        const now = new Set(pending);
        pending.clear();
        await read(now);
      }
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) console.error(error);
    } finally {
      reading = null;
    }
  })();
  return reading;
}

/** The first read after sign-in: failures reach the caller (sign-in page, "service cannot be reached"). */
export async function readAll() {
  await read(new Set(Everything));
}

async function read(parts) {
  const [workspace, trunks, agents] = await Promise.all([
    parts.has('workspace') || !state.workspace ? get('/api/workspace') : state.workspace,
    parts.has('trunks') ? get('/api/trunks') : state.trunks,
    parts.has('agents') ? get('/api/agents') : state.agents,
  ]);
  const ids = new Set(trunks.map((t) => t.id));
  for (const id of [...state.expanded]) if (!ids.has(id)) state.expanded.delete(id);
  const lists = await Promise.all([...state.expanded]
    .filter((id) => parts.has('numbers') || parts.has(`numbers:${id}`) || !state.numbers.has(id))
    .map(async (id) => [id, await listNumbers(id).catch(() => null)]));
  if (parts.has('volumes') && analyticsAvailable) {
    state.volumes = await numberVolumes().catch(() => state.volumes);
    if (state.volumes === null) analyticsAvailable = false;
  }
  state.workspace = workspace;
  state.trunks = trunks;
  state.agents = agents;
  for (const id of [...state.numbers.keys()]) if (!ids.has(id)) state.numbers.delete(id);
  for (const [id, list] of lists) if (list) state.numbers.set(id, list);
  render();
}

export const trunkById = (id) => state.trunks.find((t) => t.id === id);
export const agentById = (id) => state.agents.find((a) => a.id === id);

export async function toggleTrunk(trunkId) {
  if (state.expanded.has(trunkId)) state.expanded.delete(trunkId);
  else {
    state.expanded.add(trunkId);
    if (!state.numbers.has(trunkId)) {
      try {
        state.numbers.set(trunkId, await listNumbers(trunkId));
      } catch {
        state.numbers.set(trunkId, []);
      }
    }
  }
  render();
}

/** Problems of the plan's limit, in the words the page shows; null while numbers can be added. */
export function limitState() {
  const { numberLimit: limit, numberCount: count, plan } = state.workspace;
  if (limit === null || limit === undefined) return null;
  if (count === limit) return `Number limit reached: the ${plan} plan allows ${plural(limit, 'number', 'numbers')}. Delete a number or move to a larger plan to add another.`;
  if (count > limit) return `This workspace has ${plural(count, 'number', 'numbers')}, more than the ${plan} plan allows (${limit}): existing numbers keep working, but no new number can be added until there are fewer than ${limit}.`;
  return null;
}
