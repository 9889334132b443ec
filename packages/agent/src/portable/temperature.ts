/** CPU temperature from systeminformation's cpuTemperature(): `main`, when the platform gives one. */
import type { SiCpuTemperature } from "./system-information.js";

/** si reports "unknown" as null, -1 or NaN depending on the platform; 0 °C is no CPU reading either. */
export function cpuTemperatureFromSi(reading: SiCpuTemperature): number | null {
  const main: unknown = reading.main;
  if (typeof main !== "number" || !Number.isFinite(main) || main <= 0 || main > 150) return null;
  return main;
}
