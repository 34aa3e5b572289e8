import {
  emptyInstallState,
  emptyModelState,
  type InstallReport,
  type InstallState,
  type ModelState,
  type SlotStore,
} from './slots.ts';

/**
 * The reconciler's one copy of state.json. Every change is written (atomically) before it is
 * taken as true in memory, so memory never claims what a crash would lose.
 */
export class StateLedger {
  private current: InstallState = emptyInstallState();

  constructor(private readonly store: SlotStore) {}

  get state(): InstallState {
    return this.current;
  }

  async save(next: InstallState): Promise<void> {
    await this.store.write(next);
    this.current = next;
  }

  async update(change: (draft: InstallState) => void): Promise<void> {
    const draft = structuredClone(this.current);
    change(draft);
    await this.save(draft);
  }

  /** Records the install status reported for `model`; false when it was that already. */
  async setInstall(model: string, install: InstallReport): Promise<boolean> {
    if (JSON.stringify(this.current.models[model]?.install) === JSON.stringify(install)) return false;
    await this.update((s) => {
      modelOf(s, model).install = install;
    });
    return true;
  }
}

/** The model's entry in a draft, created empty when missing. */
export function modelOf(state: InstallState, model: string): ModelState {
  const existing = state.models[model];
  if (existing) return existing;
  const created = emptyModelState();
  state.models[model] = created;
  return created;
}
