import { connect } from "@socktop/connector";

const agent = await connect("ws://localhost:3000/ws");
const { agentVersion, protocolVersion } = agent.info;
console.log(`connected to ${agent.url} (agent ${agentVersion ?? "original"}, protocol ${protocolVersion})`);

const metrics = await agent.metrics();
// null: the agent could not read memory this time.
const gib = (bytes: number | null) => (bytes === null ? "?" : (bytes / 2 ** 30).toFixed(1));
console.log(`${metrics.hostname}: CPU ${metrics.cpu_total.toFixed(1)}%, memory ${gib(metrics.mem_used)} of ${gib(metrics.mem_total)} GiB`);

for (const disk of await agent.disks()) {
  const used = disk.total > 0 ? (1 - disk.available / disk.total) * 100 : 0;
  console.log(`${disk.is_partition ? "  " : ""}${disk.name}: ${used.toFixed(0)}% used`);
}

// The process list comes unsorted: sorting is the client's job.
const { processes } = await agent.processes();
const busiest = [...processes].sort((a, b) => b.cpu_usage - a.cpu_usage).slice(0, 5);
for (const p of busiest) console.log(`${p.pid}\t${p.cpu_usage.toFixed(1)}%\t${p.name}`);

await agent.close();
