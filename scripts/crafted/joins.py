import os, sys
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'crafted')
from mk import *
import hashlib
def tk(key,v):
    hh=(hashlib.sha1 if v==0 else hashlib.sha256)(key.to_bytes(8,'big')).digest()
    return int.from_bytes(hh[:4],'big'), int.from_bytes(hh[-8:],'big')
KA=0x1111222233334444; KB=0x5555666677778888
tA,iA=tk(KA,1); tB,iB=tk(KB,1)
P=Pcap(); L=[]
def add(note,*a,**k): P.add(*a,**k); L.append(note)
C,S='10.1.0.1','10.2.0.1'
add('v1 SYN MPC len4',C,S,1000,80,100,0,0x02,[h('1e040101')])
add('v1 SYNACK MPC len12 KB',S,C,80,1000,5000,101,0x12,[h('1e0c0101')+KB.to_bytes(8,'big')])
add('v1 ACK MPC len20',C,S,1000,80,101,5001,0x10,[h('1e140101')+KA.to_bytes(8,'big')+KB.to_bytes(8,'big')])
add('v1 ACK MPC len22 data',C,S,1000,80,101,5001,0x18,[h('1e160101')+KA.to_bytes(8,'big')+KB.to_bytes(8,'big')+h('000a')],payload=b'a'*10)
add('server DSS ack8 = iA+11',S,C,80,1000,5001,111,0x10,[h('1e0c2003')+((iA+11)%2**64).to_bytes(8,'big')])
add('server DSS ack4 = low32(iA+11)',S,C,80,1000,5001,111,0x10,[h('1e082001')+((iA+11)%2**32).to_bytes(4,'big')])
add('server data DSS ack8 map dsn8',S,C,80,1000,5001,111,0x18,[h('1e1a200f')+((iA+11)%2**64).to_bytes(8,'big')+((iB+1)%2**64).to_bytes(8,'big')+h('00000001 0005')],payload=b'b'*5)
add('client DSS ack4 = low32(iB+6)',C,S,1000,80,111,5006,0x10,[h('1e082001')+((iB+6)%2**32).to_bytes(4,'big')])
add('plain ACK no MPTCP option on subflow1',C,S,1000,80,111,5006,0x10,[])
C2='10.1.0.2'
add('join SYN token tB (server key, sha256)',C2,S,2000,80,700,0,0x02,[h('1e0c1002')+tB.to_bytes(4,'big')+h('01020304')])
add('join SYNACK',S,C2,80,2000,9000,701,0x12,[h('1e10100311223344556677880a0b0c0d')])
add('join ACK',C2,S,2000,80,701,9001,0x10,[h('1e181000')+bytes(20)])
add('subflow2 client DSS ack4 low32(iB+6)',C2,S,2000,80,701,9001,0x10,[h('1e082001')+((iB+6)%2**32).to_bytes(4,'big')])
add('subflow2 server DSS ack8 iA+11',S,C2,80,2000,9001,701,0x10,[h('1e0c2003')+((iA+11)%2**64).to_bytes(8,'big')])
add('subflow2 plain ack',C2,S,2000,80,701,9001,0x10,[])
C3='10.1.0.3'
add('join SYN unknown token 0xdeadbeef sf3',C3,S,3000,80,800,0,0x02,[h('1e0c1001deadbeef01020304')])
add('join SYN unknown token 0xdeadbeef sf4',C3,S,3001,80,800,0,0x02,[h('1e0c1001deadbeef01020304')])
add('join SYN token tA (client key) sf5',S,C3,4000,80,800,0,0x02,[h('1e0c1001')+tA.to_bytes(4,'big')+h('01020304')])
add('plain TCP SYN other conn',C3,S,5000,80,1,0,0x02,[])
add('plain TCP SYN/ACK other conn',S,C3,80,5000,1,2,0x12,[])
add('DSS on sf with no handshake',C3,S,6000,81,1,2,0x10,[h('1e082001 01020304')])
add('second DSS same sf',C3,S,6000,81,1,2,0x10,[h('1e082001 01020305')])
P.write(''+OUT+'/joins.pcap')
open(''+OUT+'/joins.cases','w').write('\n'.join(f'{i+1}\t{n}' for i,n in enumerate(L)))
print('tA',tA,'iA',iA,'tB',tB,'iB',iB)
