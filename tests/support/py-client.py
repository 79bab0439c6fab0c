"""The official Python MCP client (PyPI `mcp`, pinned in requirements.txt)
against erp-mcp: initialize, list the tools, call whoami.
Usage: py-client.py ERP_MCP. Prints one line per result."""
import asyncio
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main():
    params = StdioServerParameters(command=sys.argv[1], args=[], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            print("TOOLS", len(tools.tools))
            who = await session.call_tool("whoami", {})
            assert not who.isError, who
            print("WHOAMI", who.structuredContent["email"])


asyncio.run(main())
