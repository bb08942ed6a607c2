# Independent JA4 (TLS over TCP) reference for tests/test_tls_fingerprint.c, written from FoxIO-LLC/ja4
# technical_details/JA4.md with its own ClientHello walk. Usage: ja4_reference.py NAME... where
# each NAME is a handshake body array in tests/tls_vectors.h.
import hashlib, os, re, sys
def grease(v): return (v&0x0f0f)==0x0a0a and (v>>8)==(v&0xff)
def parse(b):
    o=34; o+=1+b[o]
    n=int.from_bytes(b[o:o+2],'big'); ciphers=[int.from_bytes(b[o+2+i:o+4+i],'big') for i in range(0,n,2)]; o+=2+n
    o+=1+b[o]
    exts=[];vals={}
    if o<len(b):
        end=o+2+int.from_bytes(b[o:o+2],'big'); o+=2
        while o<end:
            t=int.from_bytes(b[o:o+2],'big'); l=int.from_bytes(b[o+2:o+4],'big'); exts.append(t); vals[t]=b[o+4:o+4+l]; o+=4+l
    return ciphers,exts,vals
def ja4(b):
    ciphers,exts,vals=parse(b)
    ver=int.from_bytes(b[0:2],'big')
    if 43 in vals:
        d=vals[43]; vs=[int.from_bytes(d[1+i:3+i],'big') for i in range(0,d[0],2)]
        vs=[v for v in vs if not grease(v)]
        if vs: ver=max(vs)
    vmap={0x0304:'13',0x0303:'12',0x0302:'11',0x0301:'10',0x0300:'s3',0x0002:'s2',0xfeff:'d1',0xfefd:'d2',0xfefc:'d3'}
    c=[x for x in ciphers if not grease(x)]; e=[x for x in exts if not grease(x)]
    alpn='00'
    if 16 in vals:
        d=vals[16]; first=d[3:3+d[2]]
        if first:
            f,l=first[0],first[-1]
            isal=lambda x: chr(x).isascii() and chr(x).isalnum()
            if isal(f) and isal(l): alpn=chr(f)+chr(l)
            else: h=first.hex(); alpn=h[0]+h[-1]
    a='t'+vmap.get(ver,'00')+('d' if 0 in exts else 'i')+'%02d'%min(len(c),99)+'%02d'%min(len(e),99)+alpn
    cs=','.join('%04x'%x for x in sorted(c))
    bh=hashlib.sha256(cs.encode()).hexdigest()[:12] if c else '000000000000'
    es=[x for x in e if x not in (0,16)]
    sig=[]
    if 13 in vals:
        d=vals[13]; sig=[int.from_bytes(d[2+i:4+i],'big') for i in range(0,int.from_bytes(d[0:2],'big'),2)]
        sig=[x for x in sig if not grease(x)]
    s=','.join('%04x'%x for x in sorted(es))
    if sig: s+='_'+','.join('%04x'%x for x in sig)
    ch=hashlib.sha256(s.encode()).hexdigest()[:12] if es else '000000000000'
    return a+'_'+bh+'_'+ch
src=open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tls_vectors.h')).read()
for name in sys.argv[1:]:
    body=src.split('uint8_t %s[] = {'%name)[1].split('};')[0]
    b=bytes(int(x,16) for x in re.findall(r'0x([0-9a-f]{2})',body))
    print(name, ja4(b))
# spec self-check
print('spec cipher hash', hashlib.sha256(b'002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9').hexdigest()[:12])
