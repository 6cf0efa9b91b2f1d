import struct, ipaddress
def csum(b): return 0
class Pcap:
    def __init__(s): s.pk=[]; s.t=1700000000.0
    def add(s, src, dst, sport, dport, seq, ack, flags, opts=b'', payload=b'', v6=False):
        # opts: list of raw option bytes; pad with NOP at front to 4-multiple
        o=b''.join(opts) if isinstance(opts,list) else opts
        o=b'\x01'*((-len(o))%4)+o
        hl=20+len(o)
        tcp=struct.pack('!HHIIBBHHH',sport,dport,seq&0xffffffff,ack&0xffffffff,((hl//4)<<4)|((flags>>8)&1),flags&0xff,65535,0,0)+o+payload
        if not v6:
            ip=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(tcp),0,0x4000,64,6,0,ipaddress.ip_address(src).packed,ipaddress.ip_address(dst).packed)
            eth=b'\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x06\x08\x00'
        else:
            ip=struct.pack('!IHBB16s16s',0x60000000,len(tcp),6,64,ipaddress.ip_address(src).packed,ipaddress.ip_address(dst).packed)
            eth=b'\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x06\x86\xdd'
        s.pk.append(eth+ip+tcp); 
    def write(s, fn):
        with open(fn,'wb') as f:
            f.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))
            for i,p in enumerate(s.pk):
                t=s.t+i*0.001
                f.write(struct.pack('<IIII',int(t),int(round((t-int(t))*1e6)),len(p),len(p)))
                f.write(p)
def h(x): return bytes.fromhex(x.replace(' ',''))
