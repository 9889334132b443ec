import { connect, isSocktopError } from "@socktop/connector";

const agent = await connect("ws://localhost:3000/ws");
agent.on("state", (state, error) => {
  console.log(`state: ${state}${error ? ` (${error.code}: ${error.message})` : ""}`);
});
agent.on("reconnect-scheduled", (delayMs, attempt, error) => {
  console.log(`retrying in ${delayMs} ms (attempt ${attempt}) after ${error.code}`);
});

// Poll like the socktop TUI: metrics every 500 ms. While the link is down,
// requests fail at once with NOT_CONNECTED and the connector reconnects by itself.
for (let i = 0; i < 4; i++) {
  try {
    const m = await agent.metrics();
    console.log(`cpu ${m.cpu_total.toFixed(1)}%, ${m.process_count ?? "?"} processes`);
  } catch (error) {
    if (!isSocktopError(error)) throw error;
    console.log(`no metrics this time: ${error.code}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
await agent.close();
