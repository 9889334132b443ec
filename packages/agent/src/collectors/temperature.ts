/**
 * CPU temperature from hwmon sensors, falling back to thermal zones.
 * Both report millidegrees Celsius in text files.
 */
import { readdir } from "node:fs/promises";
import { TtlCache } from "../cache.js";
import { parseNumberFile, readText } from "./procfs.js";

/** Readings outside this range are sensor faults (disconnected probes read -127 or 255). */
const PLAUSIBLE_MIN_C = -40;
const PLAUSIBLE_MAX_C = 150;

/** "42000\n" (millidegrees) → 42; null when not a plausible temperature. */
export function parseMillidegrees(text: string | null): number | null {
  const value = parseNumberFile(text);
  if (value === null) return null;
  const celsius = value / 1000;
  if (celsius <= PLAUSIBLE_MIN_C || celsius > PLAUSIBLE_MAX_C) return null;
  return Math.round(celsius * 10) / 10;
}

/** Entries like hwmon10 sorted by their number, so hwmon2 comes before hwmon10. */
async function numberedEntries(dir: string, prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
}

interface HwmonSensor {
  chip: string;
  label: string;
  celsius: number;
}

async function readHwmonSensors(sysRoot: string): Promise<HwmonSensor[]> {
  const base = `${sysRoot}/class/hwmon`;
  const sensors: HwmonSensor[] = [];
  for (const hwmon of await numberedEntries(base, "hwmon")) {
    const dir = `${base}/${hwmon}`;
    const chip = ((await readText(`${dir}/name`)) ?? "").trim();
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      continue;
    }
    const inputs = files
      .filter((f) => /^temp\d+_input$/.test(f))
      .sort((a, b) => Number(a.slice(4, -6)) - Number(b.slice(4, -6)));
    for (const input of inputs) {
      const celsius = parseMillidegrees(await readText(`${dir}/${input}`));
      if (celsius === null) continue;
      const label = ((await readText(`${dir}/${input.replace("_input", "_label")}`)) ?? "").trim();
      sensors.push({ chip, label, celsius });
    }
  }
  return sensors;
}

/**
 * The CPU's temperature, by preference:
 * 1. Intel coretemp "Package id N" (the whole package), else its first core;
 * 2. AMD k10temp/zenpower "Tdie" (the real die temperature), else "Tctl"
 *    (Tctl carries a fan-control offset on some models, so it is second best);
 * 3. ARM SoC sensors (cpu_thermal, cpu-thermal, soc_thermal: Raspberry Pi and friends);
 * 4. any sensor labelled cpu / package / tctl / tdie (the original's rule);
 * 5. thermal zones: x86_pkg_temp, then cpu/soc zones, then acpitz last
 *    (ACPI's zone is often the motherboard, not the CPU).
 */
export async function readCpuTemperature(sysRoot = "/sys"): Promise<number | null> {
  const sensors = await readHwmonSensors(sysRoot);
  const pick = (match: (s: HwmonSensor) => boolean): number | null => sensors.find(match)?.celsius ?? null;
  const byChip = (chips: string[]) => (s: HwmonSensor) => chips.includes(s.chip);
  const found =
    pick((s) => s.chip === "coretemp" && /^package id/i.test(s.label)) ??
    pick(byChip(["coretemp"])) ??
    pick((s) => (s.chip === "k10temp" || s.chip === "zenpower") && /^tdie$/i.test(s.label)) ??
    pick((s) => (s.chip === "k10temp" || s.chip === "zenpower") && /^tctl$/i.test(s.label)) ??
    pick(byChip(["k10temp", "zenpower"])) ??
    pick(byChip(["cpu_thermal", "cpu-thermal", "soc_thermal", "soc-thermal", "cpu"])) ??
    pick((s) => /cpu|package|tctl|tdie/i.test(s.label));
  if (found !== null) return found;

  const zonesDir = `${sysRoot}/class/thermal`;
  const zones: Array<{ type: string; celsius: number }> = [];
  for (const zone of await numberedEntries(zonesDir, "thermal_zone")) {
    const celsius = parseMillidegrees(await readText(`${zonesDir}/${zone}/temp`));
    if (celsius === null) continue;
    zones.push({ type: ((await readText(`${zonesDir}/${zone}/type`)) ?? "").trim(), celsius });
  }
  const zone =
    zones.find((z) => z.type === "x86_pkg_temp") ??
    zones.find((z) => /cpu|soc|package/i.test(z.type)) ??
    zones.find((z) => z.type === "acpitz");
  return zone?.celsius ?? null;
}

export interface TemperatureOptions {
  sysRoot?: string;
  /** false (SOCKTOP_AGENT_TEMP=0): always null, nothing read. */
  enabled?: boolean;
  /** Readings are reused this long (sensors change slowly; 1.5 s like the original). */
  cacheMs?: number;
  now?: () => number;
}

export class TemperatureCollector {
  private readonly cache: TtlCache<number | null> | null;

  constructor(options: TemperatureOptions = {}) {
    const sysRoot = options.sysRoot ?? "/sys";
    this.cache =
      options.enabled === false
        ? null
        : new TtlCache(options.cacheMs ?? 1500, () => readCpuTemperature(sysRoot).catch(() => null), options.now);
  }

  read(): Promise<number | null> {
    return this.cache === null ? Promise.resolve(null) : this.cache.get();
  }
}
