/**
 * CPU temperature from hwmon sensors, falling back to thermal zones.
 * Both report millidegrees Celsius in text files.
 *
 * Sensors are chosen from their names and labels first, and only the chosen
 * sensors' inputs are read: reading an input can reach the hardware (drivetemp
 * issues a SMART command and can keep a disk from spinning down, nvme sends an
 * admin command, ACPI zones evaluate AML), and names and labels cannot. So
 * names and labels are read synchronously like /proc, and inputs through a
 * SensorReader: asynchronously, with a timeout (sensor-reader.ts).
 */
import { TtlCache } from "../cache.js";
import { isPending, type Collected } from "../collected.js";
import type { Collector } from "./collector.js";
import { listDir, parseNumberFile, readAttributeSync as readAttr } from "./procfs.js";
import { SensorReader, defaultSensorReader } from "./sensor-reader.js";

/** Readings outside this range are sensor faults (disconnected probes read -127 or 255). */
const PLAUSIBLE_MIN_C = -40;
const PLAUSIBLE_MAX_C = 150;

/**
 * "42000\n" (millidegrees) → 42 (rounded to 0.1 °C); null when not a plausible temperature.
 *
 * Exactly 0 is rejected as well: it is what sensors report when they have no
 * data (k10temp clamps a negative offset result to 0, some ARM zones read 0
 * until their first conversion), and a CPU at exactly 0.000 °C is not real.
 */
export function parseMillidegrees(text: string | null): number | null {
  const value = parseNumberFile(text);
  if (value === null || value === 0) return null;
  const celsius = value / 1000;
  if (celsius <= PLAUSIBLE_MIN_C || celsius > PLAUSIBLE_MAX_C) return null;
  return Math.round(celsius * 10) / 10;
}

/**
 * How well an hwmon sensor stands for "the CPU temperature": lower is better,
 * null when it is not a CPU sensor at all.
 *
 * - 0 Intel coretemp "Package id N": the whole package, what the CPU throttles on.
 * - 1 any other coretemp sensor ("Core N"; the first one in index order wins).
 * - 2 AMD k10temp/zenpower "Tdie", 3 "Tctl", 4 their other sensors (Tccd1…), k8temp.
 *   Tdie is preferred because it is the measured die temperature, while Tctl is
 *   a fan-control value that carries a +10…+27 °C offset on Zen 1 / Zen+ X models
 *   and Threadripper 1000/2000. k10temp exports Tdie only when such an offset
 *   exists; otherwise Tctl equals the die temperature and is used.
 * - 5 SoC thermal zones exported as hwmon (cpu_thermal on a Raspberry Pi,
 *   cpu0_thermal, soc_thermal; thermal zone names get '-' replaced by '_'),
 *   or a chip named after the CPU (via_cputemp).
 * - 6 any sensor whose label mentions cpu / package / tctl / tdie (the
 *   original socktop's only rule; e.g. nct6775 "CPUTIN", thinkpad "CPU").
 */
export function cpuSensorRank(chip: string, label: string): number | null {
  const c = chip.trim().toLowerCase();
  const l = label.trim().toLowerCase();
  if (c === "coretemp") return /^package id \d+/.test(l) ? 0 : 1;
  if (c === "k10temp" || c === "zenpower" || c === "k8temp") return l === "tdie" ? 2 : l === "tctl" ? 3 : 4;
  if (c.includes("cpu") || /^soc[\w-]*thermal$/.test(c)) return 5;
  if (/cpu|package|tctl|tdie/.test(l)) return 6;
  return null;
}

/**
 * The same for /sys/class/thermal zone types, used only when hwmon had nothing:
 * x86_pkg_temp (Intel package) first, then CPU zones (cpu-thermal, TCPU, …),
 * then SoC zones and Intel's B0D4 processor participant, and acpitz last
 * because ACPI's zone is often a motherboard sensor, not the CPU. Other zones
 * (wifi, battery, PCH, INT3400) are not CPU temperatures.
 */
export function thermalZoneRank(type: string): number | null {
  const t = type.trim().toLowerCase();
  if (t === "x86_pkg_temp" || t.includes("package")) return 0;
  if (t.includes("cpu")) return 1;
  if (t.includes("soc") || t === "b0d4") return 2;
  if (t === "acpitz") return 3;
  return null;
}

/** `prefix<N>` entries in numeric order, so hwmon2 comes before hwmon10. */
function numbered(names: string[], prefix: string, suffix = ""): Array<{ name: string; index: number }> {
  const out: Array<{ name: string; index: number }> = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) continue;
    const digits = name.slice(prefix.length, name.length - suffix.length);
    if (/^\d+$/.test(digits)) out.push({ name, index: Number(digits) });
  }
  return out.sort((a, b) => a.index - b.index);
}

interface Candidate {
  rank: number;
  input: string;
}

function hwmonCandidates(sysRoot: string): Candidate[] {
  const base = `${sysRoot}/class/hwmon`;
  const candidates: Candidate[] = [];
  for (const { name: hwmon } of numbered(listDir(base), "hwmon")) {
    let dir = `${base}/${hwmon}`;
    let chip = readAttr(`${dir}/name`);
    if (chip === null) {
      // Kernels before the hwmon rework kept the attributes on the parent device.
      const legacy = readAttr(`${dir}/device/name`);
      if (legacy !== null) {
        dir = `${dir}/device`;
        chip = legacy;
      }
    }
    const files = listDir(dir);
    const present = new Set(files);
    for (const { name: input, index } of numbered(files, "temp", "_input")) {
      const labelFile = `temp${index}_label`;
      const label = present.has(labelFile) ? (readAttr(`${dir}/${labelFile}`) ?? "") : "";
      const rank = cpuSensorRank(chip ?? "", label);
      if (rank !== null) candidates.push({ rank, input: `${dir}/${input}` });
    }
  }
  // Array.prototype.sort is stable: equal ranks keep hwmon and temp index order.
  return candidates.sort((a, b) => a.rank - b.rank);
}

function thermalZoneCandidates(sysRoot: string): Candidate[] {
  const base = `${sysRoot}/class/thermal`;
  const candidates: Candidate[] = [];
  for (const { name: zone } of numbered(listDir(base), "thermal_zone")) {
    const rank = thermalZoneRank(readAttr(`${base}/${zone}/type`) ?? "");
    if (rank !== null) candidates.push({ rank, input: `${base}/${zone}/temp` });
  }
  return candidates.sort((a, b) => a.rank - b.rank);
}

/**
 * The best candidate that gives a plausible reading; a faulty sensor falls
 * through to the next, and so does one the reader skips as known to hang. A
 * sensor that has just not answered in time ends the search with null: the
 * reply waits for one timeout at most, and the next reading skips that sensor
 * at once and so gets to the next candidate.
 */
async function firstPlausible(candidates: Candidate[], sensors: SensorReader): Promise<number | null | "slow"> {
  for (const candidate of candidates) {
    const reading = await sensors.read(candidate.input);
    if (reading.kind === "slow") return "slow";
    const celsius = parseMillidegrees(reading.kind === "text" ? reading.text : null);
    if (celsius !== null) return celsius;
  }
  return null;
}

/** The sensors worth reading, best first: hwmon's CPU sensors, then thermal zones. */
interface Discovery {
  hwmon: Candidate[];
  zones: Candidate[];
}

/** Looks through sysfs for CPU sensors (names, labels and zone types only: no sensor is read). */
function discover(sysRoot: string): Discovery {
  return { hwmon: hwmonCandidates(sysRoot), zones: thermalZoneCandidates(sysRoot) };
}

async function readDiscovered(found: Discovery, sensors: SensorReader): Promise<number | null> {
  try {
    const hwmon = await firstPlausible(found.hwmon, sensors);
    if (hwmon === "slow") return null;
    if (hwmon !== null) return hwmon;
    const zone = await firstPlausible(found.zones, sensors);
    return zone === "slow" ? null : zone;
  } catch {
    return null;
  }
}

/**
 * The CPU's temperature in °C, or null when there is no usable sensor.
 * hwmon sensors by {@link cpuSensorRank}, then thermal zones by
 * {@link thermalZoneRank}; ties go to the lower hwmonN / thermal_zoneN and
 * tempN. Never throws.
 */
export async function readCpuTemperature(sysRoot = "/sys", sensors: SensorReader = defaultSensorReader()): Promise<number | null> {
  let found: Discovery;
  try {
    found = discover(sysRoot);
  } catch {
    return null;
  }
  return readDiscovered(found, sensors);
}

export interface TemperatureOptions {
  sysRoot?: string;
  /** false (SOCKTOP_AGENT_TEMP=0): always null, nothing read. */
  enabled?: boolean;
  /** Readings are reused this long (sensors change slowly; 1.5 s like the original). */
  cacheMs?: number;
  /**
   * Which sensors to read is looked up again after this long (default one
   * minute). Sensors come and go only with drivers (a module loaded, a device
   * rebound), while looking costs a readdir of every hwmon chip and a read of
   * each label; a reading then costs only the chosen inputs.
   */
  discoveryMs?: number;
  now?: () => number;
  /** Reads the sensor inputs with a timeout; the backend shares one among its collectors. */
  sensors?: SensorReader;
}

export class TemperatureCollector implements Collector<number | null> {
  readonly name = "temperature";
  private readonly cache: TtlCache<number | null> | null;
  private readonly discovery: TtlCache<Discovery>;

  constructor(options: TemperatureOptions = {}) {
    const sysRoot = options.sysRoot ?? "/sys";
    const sensors = options.sensors ?? defaultSensorReader();
    this.discovery = new TtlCache(options.discoveryMs ?? 60_000, () => discover(sysRoot), options.now);
    // No sensor (most virtual machines): null at once, no read to wait for.
    const readFound = (found: Discovery): Collected<number | null> =>
      found.hwmon.length === 0 && found.zones.length === 0 ? null : readDiscovered(found, sensors);
    this.cache =
      options.enabled === false
        ? null
        : new TtlCache(
            options.cacheMs ?? 1500,
            () => {
              const found = this.discovery.get();
              return isPending(found) ? found.then(readFound, () => null) : readFound(found);
            },
            options.now,
          );
  }

  /** The CPU temperature in °C, null when disabled or there is no sensor. Never throws. */
  read(): Collected<number | null> {
    return this.cache === null ? null : this.cache.get();
  }

  collect(): Collected<number | null> {
    return this.read();
  }
}
