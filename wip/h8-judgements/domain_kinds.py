OFFICIAL = "history.state.gov state.gov en.special.kremlin.ru everycrsreport.com".split()
PRESS = """abcnews.go.com bbc.co.uk reuters.com rferl.org washingtonpost.com voanews.com edition.cnn.com dw.com
euronews.com kyivindependent.com themoscowtimes.com upi.com independent.co.uk thetimes.co.uk news.sky.com
straitstimes.com channelnewsasia.com scmp.com hindustantimes.com livemint.com business-standard.com
koreajoongangdaily.joins.com nationalpost.com startribune.com m.en.rfi.fr swissinfo.ch cyprus-mail.com
thenationalnews.com thestar.com kathmandupost.com businessinsider.com businesslive.co.za citizen.co.za
daytondailynews.com ksat.com localnews8.com ksmu.org asiaone.com tribuneindia.com dailyexcelsior.com
maritime-executive.com bairdmaritime.com pravda.com.ua ukrinform.net en.interfax.com.ua hurriyetdailynews.com
channelstv.com thestar.com.my allafrica.com iolaregister.com archives.lincolndailynews.com moneycontrol.com
m.rediff.com metro.co.uk lbc.co.uk perthnow.com.au sunstar.com.ph sundayworld.co.za kurdistan24.net
duvarenglish.com agenceurope.eu news.liga.net babel.ua censor.net unn.ua newsukraine.rbc.ua euromaidanpress.com
thedailybeast.com washexam.com ijr.com marketscreener.com agricensus.com en.newizv.ru""".split()
SCHOLARLY = """carnegieendowment.org pism.pl vifindia.org progressivepolicy.org americansecurityproject.org
davispolk.com""".split()
REFERENCE = "kids.britannica.com".split()
STATE_MEDIA = """sputnikglobe.com rt.com tass.com tvbrics.com en.interaffairs.ru tehrantimes.com english.pravda.ru
chinaview.cn trt.global anewz.tv app.com.pk dailysabah.com caliber.az turkiyetoday.com islamtimes.org""".split()
# everything else: aggregator, mirror or unknown site
