import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

report = json.load(open(sys.argv[1]))
conn = report["connections"][0]
fig, ax = plt.subplots(figsize=(9, 4))
for sf in conn["subflows"]:
    pts = sf["series"]["rttUs"]
    if pts:
        t, rtt = zip(*pts)
        ax.plot(t, [x / 1000 for x in rtt], ".", label=f"tcp.stream {sf['tcpStream']} (median {sf['rtt']['medianUs'] / 1000:.3f} ms)")
ax.set_xlabel("time since first packet (s)")
ax.set_ylabel("RTT (ms)")
ax.set_yscale("log")
ax.legend()
fig.savefig(sys.argv[2], dpi=100, bbox_inches="tight")
