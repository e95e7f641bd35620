"""NetSpec's generator (xoshiro256** seeded through SplitMix64, Marsaglia polar normals, Fisher-Yates) in Python, for independent checks."""
M=(1<<64)-1
def rotl(x,k): return ((x<<k)|(x>>(64-k)))&M
class Rng:
    def __init__(s,seed):
        x=seed
        st=[]
        for _ in range(4):
            x=(x+0x9E3779B97F4A7C15)&M; z=x
            z=((z^(z>>30))*0xBF58476D1CE4E5B9)&M
            z=((z^(z>>27))*0x94D049BB133111EB)&M
            st.append(z^(z>>31))
        s.s=st; s.spare=None
    def u64(s):
        s0,s1,s2,s3=s.s
        r=(rotl((s1*5)&M,7)*9)&M
        t=(s1<<17)&M
        s2^=s0; s3^=s1; s1^=s2; s0^=s3; s2^=t; s3=rotl(s3,45)
        s.s=[s0,s1,s2,s3]; return r
    def dbl(s): return (s.u64()>>11)*(1.0/(1<<53))
    def nextint(s,n):
        th=((1<<64)-n)%n
        while True:
            r=s.u64()
            if r>=th: return r%n
    def normal(s):
        import math
        if s.spare is not None:
            v=s.spare; s.spare=None; return v
        while True:
            u=2*s.dbl()-1; v=2*s.dbl()-1; q=u*u+v*v
            if 0<q<1: break
        f=math.sqrt(-2*math.log(q)/q); s.spare=v*f; return u*f
    def perm(s,n):
        p=list(range(n))
        for i in range(n-1,0,-1):
            j=s.nextint(i+1); p[i],p[j]=p[j],p[i]
        return p

# Counter-based random numbers (src/NetSpec.Runtime/Kernels/CounterRandom.cs, docs/training.md):
# element i of the stream of (seed, node, step) is a pure function of the four; dropout keeps
# element i when uniform(...) >= p. Written from the documented formula, not from NetSpec's code.
GAMMA=0x9E3779B97F4A7C15
def mix(z):
    z=((z^(z>>30))*0xBF58476D1CE4E5B9)&M
    z=((z^(z>>27))*0x94D049BB133111EB)&M
    return z^(z>>31)
def name_key(name):
    h=14695981039346656037
    for b in name.encode('utf-8'):
        h^=b; h=(h*1099511628211)&M
    return h
def stream_base(seed,node,step):
    return mix((mix(mix((seed+GAMMA)&M)^name_key(node))+GAMMA*step)&M)
def uniform(base,i):
    return (mix((base+GAMMA*(i+1))&M)>>11)*(1.0/(1<<53))
def dropout_mask(seed,node,step,n,p):
    """The 0/1 mask NetSpec's dropout node `node` draws at `step` for n elements (row-major)."""
    b=stream_base(seed,node,step)
    return [1.0 if uniform(b,i)>=p else 0.0 for i in range(n)]
