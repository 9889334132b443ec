/**
 * What a cgroup is, from its name and path: systemd units (slices, services,
 * scopes, login sessions), and containers of docker, podman, containerd and
 * CRI-O, and Kubernetes pods, under both the systemd and the cgroupfs
 * drivers' naming.
 */

export type CgroupKind = "slice" | "service" | "scope" | "session" | "user" | "container" | "pod" | "group";
export type ContainerRuntime = "docker" | "podman" | "containerd" | "cri-o";

export interface CgroupIdentity {
  kind: CgroupKind;
  /** The container runtime for containers (and their conmon scopes); null otherwise. */
  runtime: ContainerRuntime | null;
  /** Container id shortened to 12 characters as `docker ps` shows it, or the pod uid for pods; null otherwise. */
  container_id: string | null;
}

const CONTAINER_ID = /^[0-9a-f]{64}$/;
const short = (id: string): string => id.slice(0, 12);

/** systemd-driver container scopes: `<prefix>-<64 hex>.scope`. */
const SCOPE_RUNTIMES: ReadonlyArray<readonly [string, ContainerRuntime]> = [
  ["docker-", "docker"],
  ["libpod-", "podman"],
  ["cri-containerd-", "containerd"],
  ["crio-", "cri-o"],
];

/** Kubernetes pod groups: `kubepods-burstable-pod<uid>.slice` (systemd) or `pod<uid>` (cgroupfs). */
const POD_SLICE = /^kubepods(?:-[a-z]+)?-pod([0-9a-f_-]+)\.slice$/;
const POD_DIR = /^pod([0-9a-f-]{36})$/;

/**
 * Classifies one cgroup. `path` is relative to the hierarchy's root and
 * starts with "/" (e.g. "/system.slice/docker-<id>.scope").
 */
export function classifyCgroup(path: string): CgroupIdentity {
  const parts = path.split("/").filter((p) => p !== "");
  const name = parts[parts.length - 1] ?? "";
  const parent = parts[parts.length - 2] ?? "";
  const none = { runtime: null, container_id: null } as const;

  for (const [prefix, runtime] of SCOPE_RUNTIMES) {
    if (name.startsWith(prefix) && name.endsWith(".scope")) {
      const id = name.slice(prefix.length, -".scope".length);
      // conmon, podman's and CRI-O's monitor process, sits next to the container.
      if (id.startsWith("conmon-")) return { kind: "scope", runtime, container_id: short(id.slice("conmon-".length)) };
      if (CONTAINER_ID.test(id)) return { kind: "container", runtime, container_id: short(id) };
    }
  }
  const pod = POD_SLICE.exec(name) ?? POD_DIR.exec(name);
  if (pod !== null && parts.some((p) => p.startsWith("kubepods"))) {
    return { kind: "pod", runtime: null, container_id: (pod[1] as string).replace(/_/g, "-") };
  }
  if (CONTAINER_ID.test(name)) {
    // cgroupfs driver: /docker/<id>, /kubepods/burstable/pod<uid>/<id>, /libpod_parent/libpod-<id>…
    if (parent === "docker") return { kind: "container", runtime: "docker", container_id: short(name) };
    if (POD_DIR.test(parent) || parts.some((p) => p.startsWith("kubepods"))) {
      return { kind: "container", runtime: "containerd", container_id: short(name) };
    }
  }
  if (/^session-[0-9a-z]+\.scope$/.test(name)) return { kind: "session", ...none };
  if (/^user-[0-9]+\.slice$/.test(name) || /^user@[0-9]+\.service$/.test(name)) return { kind: "user", ...none };
  if (name.endsWith(".slice")) return { kind: "slice", ...none };
  if (name.endsWith(".service")) return { kind: "service", ...none };
  if (name.endsWith(".scope")) return { kind: "scope", ...none };
  return { kind: "group", ...none };
}
