"""TLS in front of a plain-HTTP server (erp-sim), as a company's HTTPS ERP
would be: `tls-front.py CERT KEY BACKEND_PORT PORT_FILE`. Listens on a free
loopback port (written to PORT_FILE), terminates TLS with CERT/KEY and
forwards the bytes both ways. Only the standard library."""
import asyncio
import ssl
import sys

cert, key, backend, port_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def handle(client_r, client_w):
    try:
        back_r, back_w = await asyncio.open_connection("127.0.0.1", backend)
    except OSError:
        client_w.close()
        return
    await asyncio.gather(pipe(client_r, back_w), pipe(back_r, client_w), return_exceptions=True)


async def main():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    import os
    os.replace(port_file + ".tmp", port_file)
    async with server:
        await server.serve_forever()


# A refused handshake (the client does not trust the CA) is what a test wants: keep quiet about it.
asyncio.get_event_loop_policy().get_event_loop().set_exception_handler(lambda loop, ctx: None)
asyncio.run(main())
