import { connect, AgentError } from "@socktop/connector";

const agent = await connect("ws://localhost:3000/ws");
const { processes } = await agent.processes();
const [busiest] = [...processes].sort((a, b) => b.cpu_usage - a.cpu_usage);

if (busiest !== undefined) {
  try {
    const { process: details } = await agent.processMetrics(busiest.pid);
    console.log(`${details.pid} ${details.name}: ${details.thread_count} threads, ${details.status}`);
    console.log(`command: ${details.command || "(kernel thread)"}`);
    const journal = await agent.journalEntries(busiest.pid);
    for (const entry of journal.entries.slice(0, 5)) console.log(`${entry.timestamp} ${entry.priority}: ${entry.message}`);
  } catch (error) {
    // The process may have exited, or the host may have no journal: the agent says so.
    if (!(error instanceof AgentError)) throw error;
    console.log(`agent: ${error.agentMessage}${error.agentCode ? ` (${error.agentCode})` : ""}`);
  }
}
await agent.close();
