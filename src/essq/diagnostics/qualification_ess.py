"""Diagnostic « qualification-ess »: is this structure part of the ESS (loi 2014-856, art. 1 and 2)?

Associations, coopératives, mutuelles and fondations belong to the ESS by their status
(art. 1, II, 1°); a société commerciale belongs only if its statutes meet the conditions of
art. 1, I, pursue social utility as main purpose (art. 2) and follow the management rules of
art. 1, II, 2°. Each condition below is one small rule with its source.
"""

from __future__ import annotations

from pydantic import Field

from essq.diagnostics.cadre import Diagnostic, ModeleEntree, Rapport, enregistrer
from essq.diagnostics.regles import Conclusion, a_completer, booleen, condition, et
from essq.diagnostics.seuils import pourcentage, seuil
from essq.diagnostics.vocabulaire import (
    ARTICLE_2,
    FAMILLE_DE_FORME,
    FORMES_ESS_PAR_STATUT,
    LIBELLE_FORME,
    FormeJuridique,
    ImpactObjectif4,
    ObjectifUtiliteSociale,
)

LOI = "Loi n° 2014-856 du 31 juillet 2014"
SOURCE_CRESS = "Graine 000, focus agrément ESUS (L562) : en cas de doute, se rapprocher de la CRESS"


class EntreeQualification(ModeleEntree):
    forme_juridique: FormeJuridique | None = Field(
        default=None,
        title="Forme juridique",
        description="Forme juridique de la structure (ou envisagée). Laisser vide si elle n'est pas connue.",
    )
    categorie_juridique: str | None = Field(
        default=None,
        pattern=r"^\d{4}$",
        title="Catégorie juridique INSEE",
        description="Code à 4 chiffres de la catégorie juridique (répertoire SIRENE, ex. 9220 pour "
        "une association déclarée), utilisé si la forme juridique n'est pas indiquée.",
    )
    but_autre_que_partage_benefices: bool | None = Field(
        default=None,
        title="But autre que le partage des bénéfices",
        description="La structure poursuit-elle un but autre que le seul partage des bénéfices ? "
        "(loi 2014, art. 1, I, 1°)",
    )
    gouvernance_democratique: bool | None = Field(
        default=None,
        title="Gouvernance démocratique définie par les statuts",
        description="Les statuts organisent-ils une gouvernance démocratique (information et "
        "participation des associés, salariés et parties prenantes), non liée au seul capital "
        "détenu ? (art. 1, I, 2°)",
    )
    part_benefices_reinvestis: float | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Part des bénéfices réinvestis (%)",
        description="Part des bénéfices consacrée au maintien ou au développement de l'activité, "
        "en % (art. 1, I, 3° a : « majoritairement »).",
    )
    reserves_impartageables: bool | None = Field(
        default=None,
        title="Réserves obligatoires impartageables",
        description="Les réserves obligatoires sont-elles impartageables et non distribuables ? "
        "(art. 1, I, 3° b)",
    )
    objectifs_utilite_sociale: list[ObjectifUtiliteSociale] = Field(
        default_factory=list,
        max_length=4,
        title="Objectifs d'utilité sociale poursuivis à titre principal",
        description="Pour une société commerciale : les conditions de l'article 2 que son objet "
        "social remplit à titre principal (soutien aux personnes fragiles ; lien social et "
        "cohésion territoriale ; éducation à la citoyenneté ; développement durable, transition "
        "énergétique, promotion culturelle ou solidarité internationale).",
    )
    impacts_objectif_4: list[ImpactObjectif4] = Field(
        default_factory=list,
        max_length=3,
        title="Impact de l'objectif de développement durable, culture ou solidarité internationale",
        description="Le 4e objectif ne vaut utilité sociale que si l'activité produit aussi un "
        "impact : soutien à des publics vulnérables, maintien ou recréation de solidarités "
        "territoriales, ou participation à l'éducation à la citoyenneté (art. 2, 4°).",
    )
    part_benefices_fonds_developpement: float | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Part des bénéfices affectée au fonds de développement (%)",
        description="Société commerciale : part des bénéfices de l'exercice affectée à la réserve "
        "statutaire « fonds de développement », en %.",
    )
    part_benefices_report_et_reserves: float | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Part des bénéfices affectée au report et aux réserves (%)",
        description="Société commerciale : part des bénéfices de l'exercice affectée au report "
        "bénéficiaire et aux réserves obligatoires, en %.",
    )
    interdiction_amortir_capital: bool | None = Field(
        default=None,
        title="Interdiction d'amortir le capital",
        description="Société commerciale : les statuts interdisent-ils d'amortir le capital et de "
        "le réduire autrement que pour des pertes ? (art. 1, II, 2° c)",
    )
    conditions_dans_statuts: bool | None = Field(
        default=None,
        title="Conditions inscrites dans les statuts",
        description="Société commerciale : ces conditions sont-elles écrites dans les statuts "
        "(et non seulement pratiquées) ?",
    )


def regle_benefices_reinvestis(e: EntreeQualification, r: Rapport) -> Conclusion:
    s = seuil("ess-benefices-reinvestis")
    if e.part_benefices_reinvestis is None:
        return a_completer(
            r,
            "benefices-majoritairement-reinvestis",
            s.source,
            "part_benefices_reinvestis",
            "Quelle part des bénéfices est consacrée au maintien ou au développement de l'activité ?",
        )
    return condition(
        r,
        "benefices-majoritairement-reinvestis",
        s.source,
        f"{pourcentage(e.part_benefices_reinvestis)} des bénéfices sont réinvestis dans l'activité ; "
        f"la loi exige qu'ils le soient majoritairement ({s.texte}).",
        s.respecte(e.part_benefices_reinvestis),
    )


def conditions_article_1(e: EntreeQualification, r: Rapport) -> Conclusion:
    """The cumulative conditions of art. 1, I (each one a rule with its source)."""
    return et(
        booleen(
            r,
            e.but_autre_que_partage_benefices,
            "but-autre-que-partage-benefices",
            f"{LOI}, art. 1, I, 1°",
            "La structure poursuit un but autre que le seul partage des bénéfices.",
            "La structure a pour seul but le partage des bénéfices : elle ne relève pas de l'ESS.",
            "but_autre_que_partage_benefices",
            "La structure poursuit-elle un but autre que le seul partage des bénéfices ?",
        ),
        booleen(
            r,
            e.gouvernance_democratique,
            "gouvernance-democratique",
            f"{LOI}, art. 1, I, 2°",
            "Les statuts définissent une gouvernance démocratique qui ne dépend pas du seul capital.",
            "Sans gouvernance démocratique définie par les statuts, la condition de l'article 1 n'est pas remplie.",
            "gouvernance_democratique",
            "Les statuts organisent-ils une gouvernance démocratique, non liée au seul capital détenu ?",
        ),
        regle_benefices_reinvestis(e, r),
        booleen(
            r,
            e.reserves_impartageables,
            "reserves-impartageables",
            f"{LOI}, art. 1, I, 3° b",
            "Les réserves obligatoires sont impartageables et ne peuvent pas être distribuées.",
            "Des réserves obligatoires partageables ou distribuables sont contraires à l'article 1.",
            "reserves_impartageables",
            "Les réserves obligatoires sont-elles impartageables et non distribuables ?",
        ),
    )


def regle_utilite_sociale(
    objectifs: list[str],
    impacts: list[str],
    r: Rapport,
    *,
    champ: str = "objectifs_utilite_sociale",
) -> Conclusion:
    """Art. 2: at least one of four objectives as main purpose; the 4th needs one of three impacts."""
    o4 = ObjectifUtiliteSociale.developpement_durable_culture_solidarite_internationale.value
    autres = [o for o in objectifs if o != o4]
    if autres:
        r.raison(
            "utilite-sociale-article-2",
            ARTICLE_2,
            f"L'objet social poursuit à titre principal {len(autres)} des trois premiers objectifs "
            "d'utilité sociale de l'article 2 : la condition est remplie.",
            "remplie",
        )
        return "oui"
    if o4 in objectifs:
        if impacts:
            r.raison(
                "utilite-sociale-article-2",
                ARTICLE_2,
                "L'objectif de développement durable, de transition, de promotion culturelle ou de "
                "solidarité internationale s'accompagne d'un impact reconnu par l'article 2, 4° : "
                "la condition d'utilité sociale est remplie.",
                "remplie",
            )
            return "oui"
        r.raison(
            "utilite-sociale-article-2",
            ARTICLE_2,
            "Le seul objectif de développement durable, culture ou solidarité internationale ne suffit "
            "pas : l'article 2, 4° exige aussi un impact (soutien à des publics vulnérables, "
            "solidarités territoriales ou éducation à la citoyenneté). Préciser cet impact.",
            "inconnue",
        )
        r.manque(
            "impacts_objectif_4",
            "Quel impact l'activité produit-elle : soutien à des publics vulnérables, solidarités "
            "territoriales ou éducation à la citoyenneté ?",
        )
        return "inconnu"
    return a_completer(
        r,
        "utilite-sociale-article-2",
        ARTICLE_2,
        champ,
        "Quels objectifs d'utilité sociale de l'article 2 l'objet social poursuit-il à titre principal ?",
    )


def _regle_part(
    r: Rapport, code: str, valeur: float | None, regle: str, champ: str, quoi: str
) -> Conclusion:
    s = seuil(code)
    if valeur is None:
        question = f"Quelle part des bénéfices de l'exercice les statuts affectent-ils {quoi} ?"
        return a_completer(r, regle, s.source, champ, question)
    return condition(
        r,
        regle,
        s.source,
        f"Les statuts affectent {pourcentage(valeur)} des bénéfices {quoi} ; il en faut {s.texte}.",
        s.respecte(valeur),
        fin=None,
    )


def conditions_societe_commerciale(e: EntreeQualification, r: Rapport) -> Conclusion:
    return et(
        regle_utilite_sociale(list(e.objectifs_utilite_sociale), list(e.impacts_objectif_4), r),
        _regle_part(
            r,
            "ess-fonds-developpement",
            e.part_benefices_fonds_developpement,
            "fonds-de-developpement",
            "part_benefices_fonds_developpement",
            "à la réserve « fonds de développement »",
        ),
        _regle_part(
            r,
            "ess-report-et-reserves",
            e.part_benefices_report_et_reserves,
            "report-et-reserves",
            "part_benefices_report_et_reserves",
            "au report bénéficiaire et aux réserves obligatoires",
        ),
        booleen(
            r,
            e.interdiction_amortir_capital,
            "capital-non-amortissable",
            f"{LOI}, art. 1, II, 2° c",
            "Les statuts interdisent d'amortir le capital et de le réduire hors pertes.",
            "Une société qui peut amortir son capital ne remplit pas l'article 1, II, 2°.",
            "interdiction_amortir_capital",
            "Les statuts interdisent-ils d'amortir le capital et de le réduire autrement que pour des pertes ?",
        ),
        booleen(
            r,
            e.conditions_dans_statuts,
            "conditions-statutaires",
            f"{LOI}, art. 1, II, 2° (« aux termes de leurs statuts »)",
            "Les conditions sont inscrites dans les statuts, comme l'exige la loi.",
            "Pratiquer ces règles ne suffit pas : une société commerciale n'est de l'ESS que si ses "
            "statuts les inscrivent.",
            "conditions_dans_statuts",
            "Ces conditions sont-elles écrites dans les statuts de la société ?",
        ),
    )


def _suites_statut(e: EntreeQualification, r: Rapport) -> None:
    famille = FAMILLE_DE_FORME.get(str(e.forme_juridique or ""))
    if famille:
        r.suite(famille, "Famille de l'ESS correspondant à la forme juridique indiquée")
        for statut in r.referentiel.collection("statuts"):
            if getattr(statut, "famille", None) == famille:
                r.suite(statut.id, "Statut de cette famille : règles, avantages et limites")


SOURCE_CJ = "Nomenclature INSEE des catégories juridiques ; référentiel, statuts (categories_juridiques_insee)"


def forme_depuis_categorie(code: str, r: Rapport) -> str:
    """The legal form of an INSEE legal category: statuts of the référentiel first, then the
    first digit of the nomenclature (1 individual, 4/7 public, 5 commercial company)."""
    formes = {
        forme
        for statut in r.referentiel.collection("statuts")
        if code in getattr(statut, "categories_juridiques_insee", [])
        for forme, famille in FAMILLE_DE_FORME.items()
        if famille == getattr(statut, "famille", None) and forme != "fonds_de_dotation"
    }
    if len(formes) == 1:
        return formes.pop()
    premier = code[0]
    if premier == "1":
        return "entreprise_individuelle"
    if premier in ("4", "7"):
        return "personne_publique"
    if premier == "5":
        return "societe_commerciale"
    return "autre"


def moteur(e: EntreeQualification, r: Rapport) -> None:
    forme = e.forme_juridique
    if e.categorie_juridique:
        deduite = forme_depuis_categorie(e.categorie_juridique, r)
        if forme is None:
            forme = FormeJuridique(deduite)
            r.raison(
                "categorie-juridique",
                SOURCE_CJ,
                f"La catégorie juridique {e.categorie_juridique} correspond à la forme « "
                f"{LIBELLE_FORME[deduite]} ».",
                "information",
            )
        elif deduite != forme and deduite != "autre":
            r.raison(
                "coherence-categorie-juridique",
                SOURCE_CJ,
                f"Réponses à concilier : la catégorie juridique {e.categorie_juridique} correspond à "
                f"« {LIBELLE_FORME[deduite]} », pas à « {LIBELLE_FORME[forme]} » ; la forme déclarée est "
                "retenue, vérifier l'inscription au répertoire SIRENE.",
                "alerte",
            )
    r.avertissement = (
        "Pré-diagnostic informatif : l'appartenance à l'ESS résulte des statuts et, pour une société "
        "commerciale, de son immatriculation avec la mention « entreprise de l'économie sociale et "
        "solidaire ». En cas de doute, la CRESS de votre région peut vous éclairer."
    )
    if forme is None:
        r.manque("forme_juridique", "Quelle est la forme juridique de la structure ?")
        r.raison(
            "forme-juridique",
            f"{LOI}, art. 1, II",
            "La loi distingue les structures de l'ESS par leur statut (associations, coopératives, "
            "mutuelles, fondations) et les sociétés commerciales qui en remplissent les conditions : "
            "la forme juridique est nécessaire pour conclure.",
            "inconnue",
        )
        conditions_article_1(e, r)
        r.conclure("indetermine", "Forme juridique à préciser pour conclure")
        r.suite("disp-cress", "La CRESS renseigne sur l'appartenance à l'ESS")
        return
    libelle = LIBELLE_FORME[forme]
    if forme in ("entreprise_individuelle", "personne_publique"):
        r.raison(
            "personne-morale-droit-prive",
            f"{LOI}, art. 1, I",
            f"L'ESS réunit des personnes morales de droit privé ; une {libelle} n'en fait pas partie. "
            "Un projet porté seul peut rejoindre l'ESS en créant une société commerciale de l'ESS ou "
            "en entrant dans une coopérative d'activités et d'emploi (CAE).",
            "non_remplie",
        )
        r.conclure("hors_ess", f"Une {libelle} ne relève pas de l'ESS")
        r.suite("statut-cae", "Entreprendre seul dans un cadre coopératif de l'ESS")
        r.suite("statut-societe-commerciale-ess", "Créer une société commerciale de l'ESS")
        return
    if forme in FORMES_ESS_PAR_STATUT:
        r.raison(
            "ess-par-statut",
            f"{LOI}, art. 1, II, 1°",
            f"Une {libelle} de droit privé fait partie de l'ESS par son statut : la loi la range "
            "d'office parmi les structures de l'économie sociale et solidaire.",
            "remplie",
        )
        contradictions = [
            texte
            for valeur, texte in (
                (
                    e.but_autre_que_partage_benefices,
                    "son but se limiterait au partage des bénéfices",
                ),
                (e.gouvernance_democratique, "sa gouvernance ne serait pas démocratique"),
                (e.reserves_impartageables, "ses réserves seraient partageables"),
            )
            if valeur is False
        ]
        if contradictions:
            r.raison(
                "coherence-statut",
                f"{LOI}, art. 1, I et II, 1°",
                f"Réponses contradictoires avec le statut de {libelle} : {', '.join(contradictions)}. "
                "Le statut rattache la structure à l'ESS, mais ces pratiques s'écartent de ses "
                "principes ; vérifier les statuts (la CRESS peut aider).",
                "alerte",
            )
        _suites_statut(e, r)
        r.suite("disp-agrement-esus", "Étape suivante possible : l'agrément ESUS")
        r.conclure("ess", f"Membre de l'ESS par son statut ({libelle})")
        return
    if forme == "fonds_de_dotation":
        r.raison(
            "forme-non-citee",
            f"{LOI}, art. 1, II, 1°",
            "Le fonds de dotation n'est pas cité parmi les statuts de l'ESS (coopératives, mutuelles, "
            "fondations, associations) : son appartenance à l'ESS n'est pas automatique. Les "
            "observatoires de l'ESS le classent souvent avec les fondations ; se rapprocher de la CRESS.",
            "inconnue",
        )
        conditions_article_1(e, r)
        _suites_statut(e, r)
        r.suite("disp-cress", "La CRESS renseigne sur l'appartenance à l'ESS")
        r.conclure("a_verifier", "Appartenance à l'ESS à vérifier auprès de la CRESS")
        return
    if forme == "autre":
        r.raison(
            "forme-non-citee",
            SOURCE_CRESS,
            "Forme juridique non prévue par l'article 1, II : la CRESS peut dire si la structure "
            "relève de l'ESS.",
            "inconnue",
        )
        conditions_article_1(e, r)
        r.suite("disp-cress", "La CRESS renseigne sur l'appartenance à l'ESS")
        r.conclure("a_verifier", "Appartenance à l'ESS à vérifier auprès de la CRESS")
        return
    # société commerciale: every condition must be in the statutes
    r.raison(
        "societe-commerciale",
        f"{LOI}, art. 1, II, 2°",
        "Une société commerciale n'appartient à l'ESS que si ses statuts remplissent toutes les "
        "conditions de l'article 1 et la recherche d'une utilité sociale au sens de l'article 2.",
        "information",
    )
    conclusion = et(conditions_article_1(e, r), conditions_societe_commerciale(e, r))
    _suites_statut(e, r)
    if conclusion == "oui":
        r.conclure("ess", "Société commerciale de l'ESS : toutes les conditions sont remplies")
        r.suite("disp-agrement-esus", "Étape suivante possible : l'agrément ESUS")
    elif conclusion == "non":
        r.conclure(
            "hors_ess", "Société commerciale hors ESS : au moins une condition n'est pas remplie"
        )
        r.suite("disp-cress", "La CRESS accompagne la mise en conformité des statuts")
    else:
        r.conclure("indetermine", "Conditions à compléter pour conclure (voir « manquant »)")
        r.suite("disp-cress", "La CRESS renseigne sur l'appartenance à l'ESS")


DIAGNOSTIC = enregistrer(
    Diagnostic(
        nom="qualification-ess",
        titre="Qualification ESS",
        description="Ma structure fait-elle partie de l'économie sociale et solidaire ? Applique "
        "les articles 1 et 2 de la loi n° 2014-856 : statuts de l'ESS par nature et conditions "
        "statutaires des sociétés commerciales.",
        modele=EntreeQualification,
        moteur=moteur,
    )
)
