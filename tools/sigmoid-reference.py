# Independent reference for specs/sigmoid*.yaml: Python's decimal at 60 digits (no NetSpec code).
from decimal import Decimal as D, getcontext
getcontext().prec = 60
def sig(x): return 1/(1+(-x).exp())
# 1) stable sigmoid on large |x|
xs=[D(-800),D(-30),D(-2),D(0),D("0.5"),D(3),D(40),D(800)]
s=[sig(x) for x in xs]
print("sigmoid", [float(v) for v in s])
g=[D(1),D(2),D(-1),D(3),D("0.5"),D(-2),D(1),D(1)]
print("grad", [float(gi*si*(1-si)) for gi,si in zip(g,s)])
# 2) the 2-2-2 sigmoid network
x=[D("0.05"),D("0.10")]; y=[D("0.01"),D("0.99")]
W=[[D(".15"),D(".20")],[D(".25"),D(".30")]]; b=[D(".35"),D(".35")]
M=[[D(".40"),D(".45")],[D(".50"),D(".55")]]; c=[D(".60"),D(".60")]
z=[sum(W[i][j]*x[j] for j in range(2))+b[i] for i in range(2)]; h=[sig(v) for v in z]
u=[sum(M[i][j]*h[j] for j in range(2))+c[i] for i in range(2)]; o=[sig(v) for v in u]
L=sum((o[i]-y[i])**2 for i in range(2))/2
print("z",[float(v) for v in z]); print("h",[float(v) for v in h]); print("u",[float(v) for v in u]); print("o",[float(v) for v in o]); print("L",float(L))
do=[o[i]-y[i] for i in range(2)]; du=[do[i]*o[i]*(1-o[i]) for i in range(2)]
dM=[[du[i]*h[j] for j in range(2)] for i in range(2)]; dc=du
dh=[sum(M[i][j]*du[i] for i in range(2)) for j in range(2)]; dz=[dh[j]*h[j]*(1-h[j]) for j in range(2)]
dW=[[dz[i]*x[j] for j in range(2)] for i in range(2)]; db=dz
lr=D("0.5")
print("do",[float(v) for v in do]); print("du",[float(v) for v in du]); print("dh",[float(v) for v in dh]); print("dz",[float(v) for v in dz])
print("dM",[[float(v) for v in r] for r in dM]); print("dW",[[float(v) for v in r] for r in dW]); print("db",[float(v) for v in db]); print("dc",[float(v) for v in dc])
print("M*",[[float(M[i][j]-lr*dM[i][j]) for j in range(2)] for i in range(2)])
print("W*",[[float(W[i][j]-lr*dW[i][j]) for j in range(2)] for i in range(2)])
print("b*",[float(b[i]-lr*db[i]) for i in range(2)]); print("c*",[float(c[i]-lr*dc[i]) for i in range(2)])
