import os, sys
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'crafted')
from mk import *
P=Pcap()
cases=[
 ('MP_PRIO len3', h('1e0350')),
 ('MP_PRIO len3 B', h('1e0351')),
 ('MP_PRIO len4 B id7', h('1e045107')),
 ('MP_FAIL', h('1e0c6000 0102030405060708')),
 ('REMOVE_ADDR 2 ids', h('1e054003 04')),
 ('REMOVE_ADDR 0 ids', h('1e0340')),
 ('ADD_ADDR v0 v4 port', h('1e0a3405 c0a80001 1f90')),
 ('ADD_ADDR v0 v6 port', h('1e163606 20010db8000000000000000000000001 0050')),
 ('ADD_ADDR v1 v4 port hmac', h('1e123009 c0a80002 01bb 1122334455667788')),
 ('ADD_ADDR v1 v6 hmac', h('1e1c300a 20010db8000000000000000000000002 1122334455667788')),
 ('ADD_ADDR v1 v6 port hmac', h('1e1e300b 20010db8000000000000000000000003 0016 1122334455667788')),
 ('ADD_ADDR v1 v6 echo', h('1e14310c 20010db8000000000000000000000004')),
 ('ADD_ADDR len12', h('1e0c300d c0a80003 aabbccdd')),
 ('MPC v1 len24 csum', h('1e180181 0102030405060708 1112131415161718 0064 beef')),
 ('MPC v1 C flag', h('1e0c0121 0102030405060709')),
 ('MPC len8', h('1e080081 01020304')),
 ('MPC ver2 len12', h('1e0c0201 010203040506070a')),
 ('DSS 0x05 csum len20', h('1e142005 01020304 05060708 00000001 0010 abcd')),
 ('DSS 0x0f csum len28', h('1e1c200f 0102030405060708 1112131415161718 00000001 0010 abcd')),
 ('DSS 0x04 len14', h('1e0e2004 05060708 00000001 0010')),
 ('DSS 0x04 len16 csum', h('1e102004 05060708 00000001 0010 abcd')),
 ('DSS 0x0f len8 malformed', h('1e08200f 01020304')),
 ('DSS 0x00 len4', h('1e042000')),
 ('DSS 0x10 len4', h('1e042010')),
 ('DSS 0x01 len8 extra bytes len10', h('1e0a2001 01020304 0506')),
 ('unknown subtype 9', h('1e049000')),
 ('unknown subtype f', h('1e06f0000102')),
 ('MP_JOIN len20', h('1e141101 0102030405060708090a0b0c0d0e0f10')),
 ('MP_JOIN SYN B', h('1e0c1105 aabbccdd 11223344')),
 ('MP_TCPRST 0x8f r6', h('1e048f06')),
 ('MPTCP len2', h('1e02')),
 ('FASTCLOSE', h('1e0c7000 0102030405060708')),
 ('MP_PRIO + DSS', [h('1e0351'), h('1e082001 01020304')]),
 ('two DSS', [h('1e082001 01020304'), h('1e082001 05060708')]),
 ('DSS + ADD_ADDR + MP_PRIO', [h('1e082001 01020304'), h('1e083402 c0a80005'), h('1e045003')]),
 ('REMOVE_ADDR 3 ids + DSS', [h('1e064001 0203'), h('1e082001 01020304')]),
 ('DSS malformed then DSS', [h('1e06200f 0102'), h('1e082001 05060708')]),
 ('MP_JOIN SYN len12 no SYN flag', h('1e0c1001 99887766 11223344')),
 ('MPC len 4 v0', h('1e040081')),
 ('ADD_ADDR len 3', h('1e0334')),
 ('MP_FAIL len 8', h('1e086000 01020304')),
]
for i,(name,o) in enumerate(cases):
    P.add('10.0.0.1','10.9.0.%d'%(i+1), 40000+i, 80, 1000, 2000, 0x10, o if isinstance(o,list) else [o], payload=b'x'*0)
P.write(''+OUT+'/options.pcap')
open(''+OUT+'/options.cases','w').write('\n'.join(f'{i+1}\t{n}' for i,(n,o) in enumerate(cases)))
