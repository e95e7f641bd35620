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
