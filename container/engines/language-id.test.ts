import { describe, expect, it } from "vitest";
import { DEFAULT_OCR_LANGUAGES } from "../../contracts/languages";
import { identifyLanguage, isoOf, languagesInScript, scriptOf, spansScripts } from "./language-id";

const INSTALLED = [...DEFAULT_OCR_LANGUAGES];

describe("identifyLanguage", () => {
  it.each([
    ["eng", "The parcel with the three books you asked for left our warehouse this morning and should reach you soon."],
    ["deu", "Das Paket mit den drei Büchern, die Sie bestellt haben, hat heute Morgen unser Lager verlassen."],
    ["fra", "Le colis contenant les trois livres que vous avez commandés a quitté notre entrepôt ce matin."],
    ["spa", "El paquete con los tres libros que pidió salió de nuestro almacén esta mañana y llegará pronto."],
    ["ita", "Il pacco con i tre libri che ha ordinato è partito dal nostro magazzino questa mattina."],
    ["por", "O pacote com os três livros que encomendou saiu do nosso armazém esta manhã e chegará em breve."],
    ["nld", "Het pakket met de drie boeken die u hebt besteld heeft vanochtend ons magazijn verlaten."],
  ])("tells %s among the languages installed by default", (language, text) => {
    expect(identifyLanguage(text, INSTALLED)).toBe(language);
  });

  it("answers only with a language given, and nothing for too little text", () => {
    const german = "Das Paket mit den drei Büchern hat heute Morgen unser Lager verlassen.";
    expect(identifyLanguage(german, ["eng", "fra"])).not.toBe("deu");
    expect(identifyLanguage("Hallo", INSTALLED)).toBeNull();
    expect(identifyLanguage("", ["deu"])).toBe("deu");
  });

  it("maps Tesseract's codes to franc's where they differ", () => {
    expect(isoOf("chi_sim")).toBe("cmn");
    expect(isoOf("deu_latf")).toBe("deu");
    expect(isoOf("fas")).toBe("pes");
    const russian = "Посылка с тремя книгами, которые вы заказали, покинула наш склад сегодня утром.";
    expect(identifyLanguage(russian, ["eng", "rus", "ukr"])).toBe("rus");
  });
});

describe("scripts", () => {
  it("narrows the installed languages to those of the script a page shows, or keeps them all", () => {
    const installed = ["eng", "deu", "rus", "ukr", "chi_sim", "jpn"];
    expect(spansScripts(installed)).toBe(true);
    expect(spansScripts(INSTALLED)).toBe(false);
    expect(languagesInScript(installed, "Cyrillic")).toEqual(["rus", "ukr"]);
    expect(languagesInScript(installed, "HanS")).toEqual(["chi_sim", "jpn"]);
    expect(languagesInScript(installed, "Latin")).toEqual(["eng", "deu"]);
    expect(languagesInScript(installed, "Greek")).toEqual(installed);
    expect(scriptOf("ell")).toBe("Greek");
  });
});
