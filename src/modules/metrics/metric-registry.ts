import { ALL_METRICS } from './definitions';
import type { MetricDefinition } from './metric-definition';
import { builtinMetricVersion } from './metric-version';

/** name → definition, built once from ALL_METRICS; duplicate names fail at boot. */
export class MetricRegistry {
  private readonly byName = new Map<string, MetricDefinition>();
  private readonly versions = new Map<string, string>();

  constructor(definitions: readonly MetricDefinition[] = ALL_METRICS) {
    for (const def of definitions) {
      if (this.byName.has(def.name)) throw new Error(`Metric '${def.name}' is registered twice`);
      this.byName.set(def.name, def);
      this.versions.set(def.name, builtinMetricVersion(def));
    }
  }

  get(name: string): MetricDefinition | undefined {
    return this.byName.get(name);
  }

  /** A built-in metric's version (a hash of its prompts), undefined for an unknown name. */
  version(name: string): string | undefined {
    return this.versions.get(name);
  }

  /** The trace metrics offered to users, sorted by name (session signals such as loop_detection are not). */
  listed(): MetricDefinition[] {
    return [...this.byName.values()].filter((d) => d.listed !== false).sort((a, b) => a.name.localeCompare(b.name));
  }

  isListed(name: string): boolean {
    const def = this.byName.get(name);
    return def !== undefined && def.listed !== false;
  }
}
