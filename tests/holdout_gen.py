#!/usr/bin/env python3
# holdout_gen: a labelled UK-style population that nobody tuned caselink's
# linking on, for checking a change against data other than the FEBRL
# sets. People live in households (one family name, one address and town;
# parents, children, sometimes twins), common names are common, and each
# person has 1-8 records spread over the four development-mode agencies,
# with the error kinds of issue 16: typos, nicknames, given and family
# names swapped, a missing name or date, a mistyped, swapped or invalid
# date, a double-barrelled name, a mistyped or missing town, a move, and
# up to three of these at once.
#
#   tests/holdout_gen.py SEED PEOPLE full|noaddr|nfa|hostel OUTDIR
#
# nfa and hostel are full with addresses that many unrelated people share,
# as people services record them: nfa gives 10% of the records, drawn at
# random, one placeholder ("No Fixed Abode", the NHS's ZZ99 3VZ, in the
# person's own town); hostel makes 12.5% of the people residents of one
# of five hostels, care homes or c/o addresses, which 80% of each
# resident's records give (about 10% of the rows). Drawn from a generator
# of their own, so the people and the other errors are those of full.
#
# writes OUTDIR/{gp,police,childrens,adults}.csv (caselink import persons
# format) and OUTDIR/truth.csv (agency,local_id,cluster). Deterministic
# for a seed. tests/holdout.sh runs it through a real daemon.
import random, sys
seed=int(sys.argv[1]); npeople=int(sys.argv[2]); mode=sys.argv[3]; out=sys.argv[4]
R=random.Random(seed)
fam=("smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson thompson wright walker white edwards hughes green hall lewis harris clarke patel jackson wood turner martin cooper hill ward morris moore clark lee king baker harrison morgan allen james scott phillips watson davis parker price bennett young griffiths mitchell kelly cook carter richardson bailey collins bell shaw murphy miller cox richards khan marshall anderson simpson ellis adams singh begum wilkinson foster chapman powell webb rogers gray mason ali hunt hussain campbell matthews owen palmer holmes mills barnes knight lloyd butler russell barker fisher stevens jenkins murray dixon harvey graham pearson ahmed fletcher walsh kaur gibson howard andrews stewart elliott reynolds saunders payne fox ford pearce day brooks west lawrence cole atkinson bradley spencer gill dawson ball burton obrien watts rose booth perry ryan grant wells armstrong francis rees hayes hart hudson newman barrett webster hunter gregory carr lowe page marsh riley dunn woods parsons berry stone reid holland hawkins harding porter robertson newton oliver reed kennedy williamson bird gardner shah dean lane cooke bates henderson parry burgess bishop walton burns nicholson shepherd ross cross long freeman warren nicholls hamilton byrne sutton mcdonald yates hodgson robson curtis hopkins okonkwo kowalski nowak").split()
giv_m=("oliver george harry jack jacob noah charlie thomas oscar william james leo alfie henry joshua freddie archie ethan isaac alexander joseph edward samuel max daniel arthur lucas mohammed logan theo harrison benjamin mason sebastian finley adam dylan zachary riley teddy david toby luke jayden jake elijah louis reuben matthew lewis michael john robert stephen paul mark andrew richard peter christopher anthony kevin gary").split()
giv_f=("olivia amelia isla ava emily isabella mia poppy ella lily evie grace sophia charlotte freya sophie ivy chloe daisy alice jessica florence lucy phoebe ruby matilda sienna harper holly millie emma elsie rosie layla maya esme eva willow sarah elizabeth susan margaret helen karen julie claire rebecca laura hannah jane mary patricia linda barbara jennifer amy katie zoe").split()
nick={"william":"bill","robert":"bob","elizabeth":"liz","margaret":"maggie","james":"jim","thomas":"tom","joseph":"joe","michael":"mike","richard":"dick","christopher":"chris","alexander":"alex","benjamin":"ben","samuel":"sam","daniel":"dan","matthew":"matt","jennifer":"jenny","rebecca":"becky","katie":"kate","edward":"ed","anthony":"tony","andrew":"andy","stephen":"steve","peter":"pete","patricia":"pat","susan":"sue","barbara":"barb","jessica":"jess","charlotte":"lottie","isabella":"bella","florence":"flo","matilda":"tilly","sophia":"sophie","david":"dave","john":"jack"}
towns=("leeds bradford wakefield harrogate halifax huddersfield dewsbury batley keighley ilkley otley pudsey morley castleford pontefract selby york doncaster barnsley rotherham sheffield hull scarborough whitby ripon skipton settle goole beverley bridlington driffield thirsk northallerton richmond darlington durham sunderland gateshead newcastle hexham carlisle kendal lancaster preston blackburn burnley accrington bolton wigan oldham rochdale bury salford stockport").split()
def zipf(lst):
    i=int(min(len(lst)-1, R.paretovariate(1.1)-1)); return lst[i] if R.random()<0.6 else R.choice(lst)
people=[]; hh=0
while len(people)<npeople:
    hh+=1; fname=zipf(fam); town=R.choice(towns); pc=f"LS{R.randint(1,29)} {R.randint(1,9)}{R.choice('ABDEFGHJLNPQRSTUWXYZ')}{R.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    addr=f"{R.randint(1,200)} {R.choice(['mill','church','station','park','high','north','south','victoria','albert','green'])} {R.choice(['lane','road','street','avenue','close','drive'])}"
    size=R.choice([1,1,2,2,3,4,5])
    pyear=R.randint(1950,1995)
    twins=R.random()<0.05
    for k in range(size):
        sex=R.choice('MF'); g=R.choice(giv_m if sex=='M' else giv_f)
        if k<2: y=pyear+R.randint(-3,3)
        else: y=min(2024, pyear+R.randint(20,35))
        dob=(y,R.randint(1,12),R.randint(1,28))
        if twins and k==3 and size>=4: dob=people[-1]['dob']
        people.append(dict(id=len(people),given=g,family=fname,dob=dob,town=town,pc=pc,addr=addr,sex=sex))
def typo(s):
    if len(s)<3: return s
    i=R.randrange(len(s)); op=R.random(); c=R.choice('abcdefghijklmnopqrstuvwxyz')
    if op<0.3: return s[:i]+c+s[i+1:]
    if op<0.55: return s[:i]+s[i+1:]
    if op<0.8: return s[:i]+c+s[i:]
    if i+1<len(s): return s[:i]+s[i+1]+s[i]+s[i+2:]
    return s
def corrupt(p):
    g,f,(y,m,d),town,pc,addr=p['given'],p['family'],p['dob'],p['town'],p['pc'],p['addr']
    dob=f"{y:04d}-{m:02d}-{d:02d}"
    n=R.choice([0,0,1,1,1,2,2,3])
    for _ in range(n):
        e=R.random()
        if e<0.18: g=typo(g)
        elif e<0.34: f=typo(f)
        elif e<0.40: g=nick.get(g,g)
        elif e<0.46: g,f=f,g
        elif e<0.50: g=''
        elif e<0.53: f=''
        elif e<0.60: dob=''
        elif e<0.70: dob=f"{y:04d}-{m:02d}-{d:02d}"; i=R.choice([2,3,5,6,8,9]); dob=dob[:i]+str(R.randint(0,9))+dob[i+1:]
        elif e<0.74: dob=f"{y:04d}-{d:02d}-{m:02d}" if d<=12 else dob
        elif e<0.77: dob=f"{y:04d}-02-30"
        elif e<0.82: f=f+'-'+zipf(fam) if R.random()<0.5 else f
        elif e<0.87: town=typo(town)
        elif e<0.92: town=R.choice(towns); pc=f"LS{R.randint(1,29)} {R.randint(1,9)}AB"; addr=f"{R.randint(1,99)} new road"
        elif e<0.96: town=''
        else: addr=typo(addr)
    return g,f,dob,town,pc,addr
# the shared addresses (nfa, hostel): their own generator, so that the
# rest of a seed's population and errors are full's
S=random.Random(seed*7919+1)
hostels=[("salvation army hostel 12 bridge street","LS2 7QR","leeds"),
         ("oakwood care home 3 elm grove","LS14 2AB","leeds"),
         ("c/o housing options civic centre","LS1 1UR","leeds"),
         ("st annes night shelter 41 york road","LS9 8HH","leeds"),
         ("no fixed abode","ZZ99 3VZ","")]
resident={p['id']:S.randrange(len(hostels)) for p in people if mode=='hostel' and S.random()<0.125}
def shared(p,town,pc,addr):
    if mode=='nfa' and S.random()<0.10:
        return town,"ZZ99 3VZ","No Fixed Abode"
    if mode=='hostel' and p['id'] in resident and S.random()<0.8:
        a,c,t=hostels[resident[p['id']]]
        return (t or town),c,a
    return town,pc,addr
ag=['gp','police','childrens','adults']
files={a:open(f"{out}/{a}.csv","w") for a in ag}
for a in ag:
    files[a].write("local_id, given_names, family_name, date_of_birth, town" + (", address_line1, postcode" if mode!='noaddr' else "") + "\n")
truth=open(f"{out}/truth.csv","w"); truth.write("agency,local_id,cluster\n")
names={'gp':'Oakfield Surgery','police':'Northshire Police','childrens':"Northshire Children's Services",'adults':'Northshire Adult Social Care'}
nrec=0
for p in people:
    k=R.choice([1,2,2,3,3,4,5,6,8])
    for j in range(k):
        a=R.choice(ag); lid=f"{a[0]}{p['id']}-{j}"
        g,f,dob,town,pc,addr=corrupt(p) if j>0 else (p['given'],p['family'],"%04d-%02d-%02d"%p['dob'],p['town'],p['pc'],p['addr'])
        if j==0 and R.random()<0.3: g,f,dob,town,pc,addr=corrupt(p)
        town,pc,addr=shared(p,town,pc,addr)
        row=[lid,g,f,dob,town]+([addr,pc] if mode!='noaddr' else [])
        files[a].write(", ".join(row)+"\n"); truth.write(f"{names[a]},{lid},{p['id']}\n"); nrec+=1
print(len(people), "people,", nrec, "records", file=sys.stderr)
