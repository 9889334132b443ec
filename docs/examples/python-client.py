"""The seed's Python integration example, bounded: a few polls, then exit.

Usage: python3 docs/examples/python-client.py [ws://localhost:3000/ws] [polls]
Needs the `websockets` package (Debian: python3-websockets).
"""
import asyncio
import gzip
import json
import sys

import websockets


async def monitor_system(uri, polls):
    async with websockets.connect(uri) as websocket:
        print("Connected to socktop_agent")
        for _ in range(polls):
            await websocket.send(json.dumps({"type": "metrics"}))
            response = await websocket.recv()
            data = json.loads(response)
            # Memory fields are null when the agent could not read them (see docs/protocol.md).
            memory = f"{data['mem_used'] / data['mem_total'] * 100:.1f}%" if data["mem_total"] else "unknown"
            print(f"CPU: {data['cpu_total']}%, Memory: {memory}")

            await websocket.send(json.dumps({"type": "processes"}))
            response = await websocket.recv()
            if isinstance(response, bytes) and response[:2] == b"\x1f\x8b":
                raw = gzip.decompress(response)
                print(f"Processes: {len(response)} bytes gzip, {len(raw)} bytes protobuf")
            else:
                print(f"Processes: {len(response)} bytes protobuf")
            await asyncio.sleep(0.5)


if __name__ == "__main__":
    uri = sys.argv[1] if len(sys.argv) > 1 else "ws://localhost:3000/ws"
    polls = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    asyncio.run(monitor_system(uri, polls))
