"""Letter and e-mail templates: a reminder, a workshop invitation, a congratulation.

Templates are Jinja2 text, in French, editable by an editor and stored in DuckDB with
their history (``modele_courrier``: one row per saved version, the latest counts; the
defaults below serve until a version is saved). They are rendered in a sandbox with
strict variables: a typo in a template is refused when saved, with the variable named,
instead of a letter that says « {{ collectivite.nme }} » or nothing.

The variables (``VARIABLES``) are filled by ``present.letters`` from the model: why the
collectivité is obliged, what it publishes, what is missing, the next steps, who to call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import jinja2
import pandas as pd
from jinja2.sandbox import SandboxedEnvironment

from odlab_compliance import db
from odlab_compliance.emails import address_problem, addresses_in
from odlab_compliance.errors import InputError


@dataclass(frozen=True)
class Template:
    code: str
    label: str
    objet: str
    corps: str
    version: int = 0             # 0: the default shipped with the code
    saisi_le: object = None
    editeur: str = ""


# The end every letter shares: whom to call, the formula, the signature.
_CLOSING = """\
 {{ correspondant.nom }}\
{% if correspondant.telephone %} au {{ correspondant.telephone }}{% endif %}\
{% if correspondant.courriel %} ou à {{ correspondant.courriel }}{% endif %}.

Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations \
distinguées.

{{ signature }}
"""

_REMINDER_BODY = """\
Madame, Monsieur,

{{ collectivite.nom }} ({{ collectivite.type }}{% if collectivite.population %}, \
{{ collectivite.population }} habitants{% endif %}) entre dans le champ de l'obligation \
d'ouverture des données publiques (loi pour une République numérique, articles L312-1-1 \
et D312-1-1-1 du code des relations entre le public et l'administration). Notre \
analyse : {{ obligation.motif }}

Situation relevée au {{ publication.date_donnees }} : {{ publication.statut }}.
{% for ligne in publication.faits %}- {{ ligne }}
{% endfor %}{% if motifs %}
Ce qui nous conduit à vous écrire : {{ motifs }}.
{% endif %}{% if manquants %}
Jeux de données prioritaires du Socle commun des données locales qui manquent : \
{{ manquants[:4] | join(", ") }}{% if manquants | length > 4 %} et \
{{ manquants | length - 4 }} autres{% endif %}.
{% endif %}
{{ etapes_titre }} :
{% for etape in etapes %}{{ loop.index }}. {{ etape }}
{% endfor %}
Pour toute question, ou pour être accompagné, contactez""" + _CLOSING

_INVITATION_BODY = """\
Madame, Monsieur,

Nous avons le plaisir d'inviter {{ collectivite.nom }} à l'atelier \
« {{ atelier.titre }} », le {{ atelier.date }}{% if atelier.lieu %} à {{ atelier.lieu }}\
{% endif %}, consacré à l'ouverture des données publiques des collectivités.

{{ collectivite.nom }} est concernée. Notre analyse : {{ obligation.motif }}

Situation relevée au {{ publication.date_donnees }} : {{ publication.statut }}.
{% if manquants %}
L'atelier vous aidera notamment à publier les jeux prioritaires qui manquent : \
{{ manquants[:3] | join(", ") }}.
{% endif %}
Au programme : les jeux de données prioritaires, les outils gratuits de publication \
(data.gouv.fr, plateformes mutualisées), et un temps d'échange entre collectivités.

Pour vous inscrire ou pour toute question, contactez""" + _CLOSING

_CONGRATULATION_BODY = """\
Madame, Monsieur,

Nous avons relevé au {{ publication.date_donnees }} que {{ collectivite.nom }} publie \
désormais des données ouvertes : {{ publication.statut | lower }}.
{% for ligne in publication.faits %}- {{ ligne }}
{% endfor %}
Félicitations pour cette étape : vos données sont désormais réutilisables par les \
habitants, les entreprises et les chercheurs.
{% if etapes %}
Pour aller plus loin :
{% for etape in etapes %}{{ loop.index }}. {{ etape }}
{% endfor %}{% endif %}
Pour toute question, contactez""" + _CLOSING

DEFAULTS: dict[str, Template] = {
    "relance": Template(
        "relance", "Relance",
        "Ouverture des données publiques de {{ collectivite.nom }} : où en êtes-vous ?",
        _REMINDER_BODY),
    "invitation": Template(
        "invitation", "Invitation à un atelier",
        "Invitation : atelier « {{ atelier.titre }} » le {{ atelier.date }}",
        _INVITATION_BODY),
    "felicitations": Template(
        "felicitations", "Félicitations (première publication)",
        "Félicitations : {{ collectivite.nom }} publie ses données", _CONGRATULATION_BODY),
}
LABELS = {code: t.label for code, t in DEFAULTS.items()}

# The variables a template may use, for the editor's help text (name -> meaning).
VARIABLES: dict[str, str] = {
    "collectivite.nom": "nom de la collectivité",
    "collectivite.type": "type (commune, communauté de communes, département…)",
    "collectivite.population": "population (chiffres en français)",
    "collectivite.siren": "SIREN",
    "collectivite.departement": "département",
    "obligation.libelle": "obligée, non obligée, à vérifier",
    "obligation.motif": "pourquoi elle est obligée (seuils, population, agents)",
    "publication.statut": "situation de publication",
    "publication.faits": "lignes : jeux publiés, dernière mise à jour, plateformes",
    "publication.date_donnees": "date de la collecte",
    "manquants": "jeux prioritaires absents (liste)",
    "anciens": "jeux prioritaires de plus de 12 mois (liste)",
    "motifs": "motifs de la liste de suivi (en retard, statut inconnu…)",
    "etapes": "prochaines étapes les moins coûteuses (liste)",
    "etapes_titre": "titre de ces étapes",
    "destinataire.nom": "nom du contact (annuaire ou suivi)",
    "destinataire.courriel": "adresse du destinataire",
    "destinataire.adresse": "adresse postale (annuaire)",
    "correspondant.nom": "qui appeler : service ou personne de l'expéditeur",
    "correspondant.telephone": "son téléphone",
    "correspondant.courriel": "son adresse",
    "atelier.titre": "titre de l'atelier (invitation)",
    "atelier.date": "date de l'atelier",
    "atelier.lieu": "lieu de l'atelier",
    "date": "date du jour",
    "signature": "signature de l'expéditeur",
}

_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                            keep_trailing_newline=False, trim_blocks=False)


def sample_context() -> dict:
    """A filled context for checking a template before saving it."""
    return {
        "collectivite": {"nom": "Muret", "type": "Commune", "population": "26 000",
                         "siren": "213103957", "departement": "31"},
        "obligation": {"libelle": "Obligée", "motif": "Au moins 3 500 habitants et au "
                                                      "moins 50 agents."},
        "publication": {"statut": "Ne publie pas", "faits": ["Jeux de données publiés : 0"],
                        "date_donnees": "1 décembre 2026"},
        "manquants": ["Délibérations", "Budget"], "anciens": [], "motifs": "ne publie pas",
        "etapes": ["Créer le compte de la collectivité sur data.gouv.fr."],
        "etapes_titre": "La prochaine étape la moins coûteuse",
        "destinataire": {"nom": "Mairie - Muret", "courriel": "accueil@mairie-muret.fr",
                         "adresse": "Place Charles de Gaulle, 31600 Muret"},
        "correspondant": {"nom": "la mission open data", "telephone": "05 00 00 00 00",
                          "courriel": "open-data@exemple.gouv.fr"},
        "atelier": {"titre": "Publier ses données", "date": "12 janvier 2027",
                    "lieu": "Toulouse"},
        "date": "6 décembre 2026", "signature": "La mission open data",
    }


def render_text(text: str, context: Mapping, where: str = "modèle") -> str:
    """``text`` rendered with ``context``; a French ``InputError`` for a syntax error or
    an unknown variable."""
    try:
        return _ENV.from_string(text).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(where, f"erreur de syntaxe ligne {exc.lineno} : {exc.message}"
                         ) from None
    except jinja2.UndefinedError as exc:
        name = str(exc.message or "").split("'")
        hint = name[3] if len(name) > 3 else (name[1] if len(name) > 1 else "")
        raise InputError(where, f"variable inconnue « {hint} » (variables disponibles : "
                                f"{', '.join(VARIABLES)})") from None
    except jinja2.TemplateError as exc:
        raise InputError(where, f"modèle illisible : {exc}") from None


def render(template: Template, context: Mapping) -> tuple[str, str]:
    """(subject, body) of a template for one collectivité."""
    subject = render_text(template.objet, context, f"objet du modèle « {template.label} »")
    body = render_text(template.corps, context, f"texte du modèle « {template.label} »")
    return " ".join(subject.split()), body.strip() + "\n"


def _known(code: str) -> None:
    if code not in DEFAULTS:
        raise InputError("modèle", f"modèle « {code} » inconnu (attendu : "
                                   f"{', '.join(DEFAULTS)})")


def history(con: duckdb.DuckDBPyConnection, code: str) -> pd.DataFrame:
    """Every saved version of a template, newest first (``version``, ``objet``,
    ``corps``, ``saisi_le``, ``editeur``)."""
    _known(code)
    return con.execute(db.sql("letters_history"), [code]).df()


def current(con: duckdb.DuckDBPyConnection | None, code: str) -> Template:
    """The template in force: the latest saved version, else the default."""
    _known(code)
    base = DEFAULTS[code]
    if con is None:
        return base
    saved = history(con, code)
    if saved.empty:
        return base
    r = saved.iloc[0]
    return Template(code, base.label, r["objet"], r["corps"], int(r["version"]),
                    r["saisi_le"], r["editeur"])


def save(con: duckdb.DuckDBPyConnection, code: str, objet: str, corps: str, *,
         editor: str) -> Template:
    """Save a new version after checking it renders (French ``InputError`` otherwise)."""
    _known(code)
    if not editor or not editor.strip():
        raise InputError("modèle", "éditeur inconnu : connectez-vous pour modifier un modèle")
    if not objet.strip() or not corps.strip():
        raise InputError("modèle", "l'objet et le texte ne peuvent pas être vides")
    render(Template(code, LABELS[code], objet, corps), sample_context())
    with db.transaction(con):
        con.execute("INSERT INTO modele_courrier (code, objet, corps, editeur) "
                    "VALUES (?, ?, ?, ?)", [code, objet, corps, editor.strip()])
    return current(con, code)


# -- who to write to --------------------------------------------------------------------

SOURCE_SUIVI = "suivi"
SOURCE_ANNUAIRE = "annuaire"
SOURCE_LABELS = {SOURCE_SUIVI: "contact saisi dans le suivi (prioritaire sur l'annuaire)",
                 SOURCE_ANNUAIRE: "Annuaire de l'administration (service-public.gouv.fr)"}


@dataclass(frozen=True)
class Contact:
    """Who a letter goes to for one collectivité, and where that comes from."""

    nom: str = ""
    courriel: str | None = None
    telephone: str | None = None
    adresse: str | None = None
    origine: str = ""              # SOURCE_SUIVI | SOURCE_ANNUAIRE | "" (none)
    probleme: str | None = None    # why no e-mail can be sent (French), None when one can

    @property
    def origine_libelle(self) -> str:
        return SOURCE_LABELS.get(self.origine, "aucun contact connu")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def choose_contact(official: Mapping | None, suivi_contact: object) -> Contact:
    """The contact of a collectivité: the one the prefecture recorded in Suivi wins over
    the Annuaire (it says so); its e-mail is the first address found in that text, else
    the Annuaire's. Without any usable address, ``probleme`` says why."""
    off = dict(official or {})
    typed = _text(suivi_contact)
    off_mail = _text(off.get("courriel")) or None
    off_raw = _text(off.get("courriel_brut"))
    base = {"telephone": _text(off.get("telephone")) or None,
            "adresse": _text(off.get("adresse")) or None}
    if typed:
        found = addresses_in(typed)
        mail = found[0] if found else off_mail
        problem = None if mail else "aucune adresse électronique dans le contact du suivi " \
                                    "ni dans l'annuaire"
        return Contact(typed, mail, origine=SOURCE_SUIVI, probleme=problem, **base)
    if off:
        problem = None
        if not off_mail:
            problem = (f"{address_problem(off_raw.split(';')[0])} (annuaire)" if off_raw
                       else "aucune adresse électronique dans l'annuaire")
        return Contact(_text(off.get("nom")), off_mail, origine=SOURCE_ANNUAIRE,
                       probleme=problem, **base)
    return Contact(probleme="aucun contact : ni saisi dans le suivi, ni dans l'Annuaire de "
                            "l'administration (pas encore chargé, ou ne la connaît pas)")


def contacts_for(official: pd.DataFrame, state: pd.DataFrame,
                 sirens: list[str]) -> dict[str, Contact]:
    """``choose_contact`` for each SIREN, from the stored official contacts and the
    follow-up state (``followup.state``)."""
    off = official.drop_duplicates("siren").set_index("siren").to_dict("index") \
        if len(official) else {}
    typed = state.drop_duplicates("siren").set_index("siren")["contact"].to_dict() \
        if len(state) and "contact" in state.columns else {}
    return {s: choose_contact(off.get(s), typed.get(s)) for s in sirens}


# -- who writes, and the letter itself ----------------------------------------------------

SENDER_KEY = "odlab_courrier"


@dataclass(frozen=True)
class Sender:
    """Who signs and sends (the secrets file's ``[odlab_courrier]``): the From address,
    Reply-To, whom the collectivités call, the signature."""

    nom: str = "La mission open data"
    courriel: str = ""
    reponse_a: str = ""
    correspondant: str = "la mission open data"
    telephone: str = ""
    correspondant_courriel: str = ""
    signature: str = "La mission open data"
    ville: str = ""

    @classmethod
    def from_secrets(cls, secrets: Mapping) -> Sender:
        try:
            raw = dict(secrets.get(SENDER_KEY) or {})
        except Exception:  # st.secrets without a file
            raw = {}
        known = {k: str(v) for k, v in raw.items() if k in cls.__dataclass_fields__}
        # An organisation named but no signature: it signs with its name.
        if known.get("nom") and not known.get("signature"):
            known["signature"] = known["nom"]
        return cls(**known)

    def problems(self) -> list[str]:
        """What prevents sending e-mails (French); empty when ready."""
        out = []
        if address_problem(self.courriel):
            out.append(f"[{SENDER_KEY}] courriel (adresse d'expédition) : "
                       f"{address_problem(self.courriel)}")
        if self.reponse_a and address_problem(self.reponse_a):
            out.append(f"[{SENDER_KEY}] reponse_a : {address_problem(self.reponse_a)}")
        return out

    def context(self) -> dict:
        return {"correspondant": {"nom": self.correspondant, "telephone": self.telephone,
                                  "courriel": self.correspondant_courriel or self.reponse_a
                                  or self.courriel},
                "signature": self.signature}


@dataclass(frozen=True)
class Letter:
    """One rendered letter for one collectivité."""

    siren: str
    nom: str
    modele: str
    objet: str
    corps: str
    contact: Contact
    date: str = ""

    @property
    def destinataire(self) -> str | None:
        return self.contact.courriel


def reachability(frame: pd.DataFrame, official: pd.DataFrame,
                 state: pd.DataFrame) -> pd.DataFrame:
    """For each collectivité of ``frame`` (a status table): ``nom``, ``type``,
    ``obligation``, its contact (``courriel``, ``origine``, ``probleme``) — the list of
    those without an e-mail is ``probleme.notna()``."""
    sirens = frame["siren"].dropna().astype(str).tolist()
    chosen = contacts_for(official, state, sirens)
    out = frame.reindex(columns=["siren", "nom", "type", "departement", "obligation"]) \
        .dropna(subset=["siren"]).copy()
    out["courriel"] = [chosen[s].courriel for s in out["siren"]]
    out["telephone"] = [chosen[s].telephone for s in out["siren"]]
    out["origine"] = [chosen[s].origine_libelle for s in out["siren"]]
    out["probleme"] = [chosen[s].probleme for s in out["siren"]]
    return out.reset_index(drop=True)


def with_contacts(df: pd.DataFrame, official: pd.DataFrame,
                  state: pd.DataFrame) -> pd.DataFrame:
    """``df`` (with ``siren``) plus ``contact_retenu`` (what a person reads: the contact
    typed in Suivi, else the Annuaire's address and telephone), ``courriel`` (the address
    a letter goes to) and ``contact_origine`` (where it comes from, in French). The
    follow-up's own ``contact`` column is left as typed: an export re-imported must not
    turn the Annuaire's address into a contact typed by the prefecture."""
    out = df.copy()
    sirens = out["siren"].astype(str).tolist()
    chosen = contacts_for(official, state, sirens)

    def shown(c: Contact) -> str | None:
        if c.origine == SOURCE_SUIVI:
            return c.nom
        parts = [p for p in (c.courriel, c.telephone) if p]
        return " · ".join(parts) or None

    out["contact_retenu"] = [shown(chosen[s]) for s in sirens]
    out["courriel"] = [chosen[s].courriel for s in sirens]
    out["contact_origine"] = [chosen[s].origine_libelle if chosen[s].origine else None
                              for s in sirens]
    return out
