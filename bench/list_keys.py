#!/usr/bin/env python3
"""Pages through every key of a KMS server with ListKeys and reports how long it took.

    bench/list_keys.py http://127.0.0.1:4591 [LIMIT]

LIMIT is the page size (default 1000, the most KMS allows). Follows NextMarker until Truncated
is false, on one keep-alive connection, and prints one line of JSON:
{"keys": ..., "distinct": ..., "pages": ..., "seconds": ..., "slowest_page_ms": ...}.
Standard library only; loopback endpoints only.
"""

import http.client
import json
import sys
import time
import urllib.parse


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    url = urllib.parse.urlsplit(sys.argv[1])
    limit = int(sys.argv[2]) if len(sys.argv) == 3 else 1000
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost") or not url.port:
        sys.exit("the endpoint must be http://127.0.0.1:PORT")
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "TrentService.ListKeys",
    }
    ids, pages, marker, slowest = [], 0, None, 0.0
    started = time.perf_counter()
    while True:
        request = {"Limit": limit}
        if marker is not None:
            request["Marker"] = marker
        t0 = time.perf_counter()
        conn.request("POST", "/", body=json.dumps(request), headers=headers)
        response = conn.getresponse()
        data = response.read()
        slowest = max(slowest, time.perf_counter() - t0)
        if response.status != 200:
            sys.exit(f"ListKeys page {pages + 1} answered {response.status}: {data[:300]!r}")
        page = json.loads(data)
        pages += 1
        ids.extend(k["KeyId"] for k in page.get("Keys", []))
        if not page.get("Truncated"):
            break
        marker = page["NextMarker"]
    seconds = time.perf_counter() - started
    conn.close()
    print(json.dumps({
        "keys": len(ids),
        "distinct": len(set(ids)),
        "pages": pages,
        "seconds": round(seconds, 3),
        "slowest_page_ms": round(slowest * 1000, 1),
    }))


if __name__ == "__main__":
    main()
