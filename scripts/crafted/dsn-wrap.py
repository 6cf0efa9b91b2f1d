import os, sys
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'crafted')
from mk import *
import hashlib
def tk(key,v):
    hh=(hashlib.sha1 if v==0 else hashlib.sha256)(key.to_bytes(8,'big')).digest()
    return int.from_bytes(hh[:4],'big'), int.from_bytes(hh[-8:],'big')
# find v0 keys with idsn low32 near 2^32 for wrap
KA=1
while True:
    t,i=tk(KA,0)
    if (i & 0xffffffff) > 0xfffffff0: break
    KA+=1
KB=0x0123456789abcdef
tA,iA=tk(KA,0); tB,iB=tk(KB,0)
P=Pcap(); L=[]
def add(note,*a,**k): P.add(*a,**k); L.append(note)
C,S='10.1.0.1','10.2.0.1'
add('v0 SYN MPC KA',C,S,1000,80,100,0,0x02,[h('1e0c0081')+KA.to_bytes(8,'big')])
add('v0 SYNACK MPC KB',S,C,80,1000,5000,101,0x12,[h('1e0c0081')+KB.to_bytes(8,'big')])
add('v0 ACK MPC',C,S,1000,80,101,5001,0x10,[h('1e140081')+KA.to_bytes(8,'big')+KB.to_bytes(8,'big')])
add('server DSS ack4 = low32(iA+1) (before wrap)',S,C,80,1000,5001,101,0x10,[h('1e082001')+((iA+1)%2**32).to_bytes(4,'big')])
add('server DSS ack4 = low32(iA+0x20) (after 32-bit wrap)',S,C,80,1000,5001,101,0x10,[h('1e082001')+((iA+0x20)%2**32).to_bytes(4,'big')])
add('server DSS ack8 = iA+0x20',S,C,80,1000,5001,101,0x10,[h('1e0c2003')+((iA+0x20)%2**64).to_bytes(8,'big')])
add('client DSS flags 0x0d ack4 dsn8',C,S,1000,80,101,5001,0x18,[h('1e16200d')+((iB+1)%2**32).to_bytes(4,'big')+((iA+1)%2**64).to_bytes(8,'big')+h('00000001 0004')],payload=b'abcd')
add('client DSS flags 0x07 ack8 dsn4',C,S,1000,80,105,5001,0x18,[h('1e162007')+((iB+1)%2**64).to_bytes(8,'big')+((iA+5)%2**32).to_bytes(4,'big')+h('00000005 0004')],payload=b'abcd')
add('client DSS flags 0x05 ack4 dsn4',C,S,1000,80,109,5001,0x18,[h('1e122005')+((iB+1)%2**32).to_bytes(4,'big')+((iA+9)%2**32).to_bytes(4,'big')+h('00000009 0004')],payload=b'abcd')
add('client DSS ack4 = 0',C,S,1000,80,113,5001,0x10,[h('1e082001 00000000')])
# MP_JOIN v0 token tA
add('v0 join SYN to client token tA (server opens)',S,'10.1.0.9',2000,3000,1,0,0x02,[h('1e0c1001')+tA.to_bytes(4,'big')+h('01020304')])
add('v0 join SYN token tB',"10.1.0.8",S,2001,80,1,0,0x02,[h('1e0c1001')+tB.to_bytes(4,'big')+h('01020304')])
add('v0 join SYNACK token tB conn',S,"10.1.0.8",80,2001,50,2,0x12,[h('1e10100311223344556677880a0b0c0d')])
add('v0 join ACK',"10.1.0.8",S,2001,80,2,51,0x10,[h('1e181000')+bytes(20)])
add('v0 join DSS ack4 low32(iB+1)',"10.1.0.8",S,2001,80,2,51,0x10,[h('1e082001')+((iB+1)%2**32).to_bytes(4,'big')])
add('v0 join DSS from server ack8 iA+0x20',S,"10.1.0.8",80,2001,51,2,0x10,[h('1e0c2003')+((iA+0x20)%2**64).to_bytes(8,'big')])
P.write(''+OUT+'/dsn-wrap.pcap')
open(''+OUT+'/dsn-wrap.cases','w').write('\n'.join(f'{i+1}\t{n}' for i,n in enumerate(L)))
print('KA',KA,'tA',tA,'iA',iA,hex(iA),'tB',tB,'iB',iB,hex(iB))
