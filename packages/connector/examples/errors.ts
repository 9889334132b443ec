import { connect, SocktopError } from "@socktop/connector";

try {
  const agent = await connect("ws://localhost:3000/ws", { token: "not-the-token", reconnect: false });
  await agent.close();
} catch (error) {
  if (!(error instanceof SocktopError)) throw error;
  switch (error.code) {
    case "AUTH_FAILED":
      console.log(`wrong token: ${error.message}`);
      break;
    case "CONNECTION_FAILED":
    case "TIMEOUT":
      console.log(`agent unreachable: ${error.message}`);
      break;
    case "CERTIFICATE_ERROR":
    case "TLS_ERROR":
      console.log(`TLS problem: ${error.message}`);
      break;
    default:
      console.log(`${error.code}: ${error.message}`);
  }
  // The underlying error (socket, TLS, HTTP) is kept.
  if (error.cause !== undefined) console.log("cause:", error.cause);
}
